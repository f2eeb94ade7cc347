/**
 * A materialization run over several views: each view's range checked before anything is written, the views
 * loaded one after another (materializeView), each finished one recorded, and a checkpoint kept current so
 * that a run that stops part-way raises a MaterializeError saying where to resume. A run given that
 * checkpoint as `resume` skips the views already done and continues inside the view it stopped in.
 */
import { epochMicrosOrProblem, microsToIso } from '../codec/instant';
import { InvalidFeatureRequestError, type MaterializeCheckpoint, MaterializeError } from '../errors';
import type { OnlineWriteRow } from '../online/write';
import type { FeatureView } from '../registry/model';
import {
  type MaterializeRunOptions,
  type MaterializeViewResult,
  materializeView,
  type PullLatestReader,
  pullLatestPlan,
} from './materialize';
import type { OfflineSession } from './session';

/** One view of a run and the range of event timestamps to load, [start, end], in µs since the epoch. */
export interface MaterializeRange {
  view: FeatureView;
  start: bigint;
  end: bigint;
}

/** Where a run reads, writes and records. */
export interface MaterializeRunIo {
  /** A session on the offline store with these settings. */
  open: (settings: Record<string, string>) => Promise<OfflineSession>;
  /** Writes rows of a view to the online store. */
  write: (view: FeatureView, rows: OnlineWriteRow[]) => Promise<{ written: number; skipped: number }>;
  /** Reads the latest rows another way than through `open` (the Trino offline store). */
  pullLatest?: PullLatestReader;
  /** Records a finished view's range (in the registry); a view counts as done once this resolves. */
  record?: (view: FeatureView, range: { start: bigint; end: bigint }) => Promise<void>;
}

/**
 * Materializes `ranges` in order. A `resume` checkpoint must be of a run with the same range as the first
 * one. Throws MaterializeError (with the checkpoint to resume from) when a view fails.
 */
export async function runMaterialization(
  ranges: readonly MaterializeRange[],
  io: MaterializeRunIo,
  options: MaterializeRunOptions,
): Promise<MaterializeViewResult[]> {
  const results: MaterializeViewResult[] = [];
  const resume = options.resume;
  const first = ranges[0];
  // Checkpoints hold ISO text (with µs; older ones with ms): compared as instants, not as text.
  const sameInstant = (text: string, micros: bigint) => epochMicrosOrProblem(text) === micros;
  if (resume && first && (!sameInstant(resume.start, first.start) || !sameInstant(resume.end, first.end))) {
    throw new InvalidFeatureRequestError(
      `The checkpoint is of a run over [${resume.start}, ${resume.end}], not [${microsToIso(first.start)}, ${microsToIso(first.end)}]; resume with the same start and end.`,
    );
  }
  // Bad ranges are refused before anything is written.
  for (const { view, start, end } of ranges) pullLatestPlan(view, start, end);
  const done = [...(resume?.done ?? [])];
  const checkpointOf =
    (view: FeatureView, start: bigint, end: bigint) =>
    (after: string[] | undefined): MaterializeCheckpoint => ({
      start: microsToIso(start),
      end: microsToIso(end),
      done: [...done],
      featureView: view.name,
      after,
    });
  let current: MaterializeCheckpoint | undefined;
  for (const [viewIndex, { view, start, end }] of ranges.entries()) {
    if (done.includes(view.name)) continue;
    const after = resume?.featureView === view.name ? resume.after : undefined;
    const checkpoint = checkpointOf(view, start, end);
    current = checkpoint(after);
    try {
      const result = await materializeView(view, { start, end }, io, {
        ...options,
        viewIndex,
        viewCount: ranges.length,
        after,
        checkpoint,
        onCheckpoint: (c) => {
          current = c;
        },
      });
      await io.record?.(view, { start, end });
      done.push(view.name);
      current = { ...checkpoint(undefined), featureView: undefined };
      options.onProgress?.({
        featureView: view.name,
        viewIndex,
        viewCount: ranges.length,
        rows: result.rows,
        written: result.written,
        skipped: result.skipped,
        done: true,
        checkpoint: current,
      });
      results.push(result);
    } catch (error) {
      throw new MaterializeError(current, error);
    }
  }
  return results;
}
