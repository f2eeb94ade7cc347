"""Sends one request (stdin) to feast_fork_server.py on SOCKET and prints its answer: feast_fork_client.py SOCKET.
Imports nothing heavy, so it starts in milliseconds."""

import socket
import sys

conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
conn.connect(sys.argv[1])
conn.sendall(sys.stdin.buffer.read())
conn.shutdown(socket.SHUT_WR)
while chunk := conn.recv(1 << 16):
    sys.stdout.buffer.write(chunk)
