import { readFileSync } from 'node:fs';
import { publint } from 'publint';
import { formatMessage } from 'publint/utils';
import { describe, expect, it } from 'vitest';
import { entryFiles, fixture, listTarball, packAll, packages, packedManifest } from './support/workspace';

// publint lints the tarball pnpm would publish. Errors and warnings fail: both mean some consumer
// (a resolver, a bundler, a runtime) gets the wrong file or none. Suggestions are advice (e.g. USE_LICENSE:
// ship the licence file) and only show up as test annotations (`notice`), so they never block a release.

const packed = fixture(packAll, (made) => made.dispose());

async function tarballOf(name: string): Promise<string> {
  const tarball = (await packed()).tarballs.get(name);
  if (!tarball) throw new Error(`${name} was not packed`);
  return tarball;
}

describe('publint', () => {
  for (const pkg of packages) {
    const name = pkg.manifest.name;
    it(`${name}: publint finds no errors or warnings in the packed tarball`, async ({ annotate }) => {
      const bytes = new Uint8Array(readFileSync(await tarballOf(name)));
      const result = await publint({ pack: { tarball: bytes.buffer }, level: 'suggestion' });
      const format = (message: (typeof result.messages)[number]) =>
        `${message.type}: ${formatMessage(message, result.pkg, { color: false }) ?? message.code}`;
      const suggestions = result.messages.filter((message) => message.type === 'suggestion').map(format);
      if (suggestions.length > 0) await annotate(`publint suggestions:\n${suggestions.join('\n')}`, 'notice');
      const problems = result.messages.filter((message) => message.type !== 'suggestion').map(format);
      expect(problems, `publint on ${name}`).toEqual([]);
    });
  }
});

describe('tarball contents', () => {
  for (const pkg of packages) {
    const name = pkg.manifest.name;
    it(`${name}: the tarball ships its entry points and declarations, and nothing outside dist/ but metadata`, async () => {
      const files = await listTarball(await tarballOf(name));
      const missing = entryFiles(pkg.manifest).filter((file) => !files.includes(file));
      expect(missing, `entry points named in package.json but absent from the tarball`).toEqual([]);
      const allowed = /^(dist\/.+|package\.json|README\.md|CHANGELOG\.md|LICENSE(\.md)?)$/;
      expect(files.filter((file) => !allowed.test(file))).toEqual([]);
    });

    it(`${name}: the packed package.json has real version ranges, no workspace: protocol`, async () => {
      const manifest = await packedManifest(await tarballOf(name));
      expect(manifest.version).toBe(pkg.manifest.version);
      const ranges = Object.entries({ ...manifest.dependencies, ...manifest.peerDependencies });
      expect(ranges.filter(([, range]) => range.startsWith('workspace:'))).toEqual([]);
    });
  }
});
