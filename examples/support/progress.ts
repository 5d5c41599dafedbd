// How the examples report results: one plain line per result, and, for a long job on a terminal,
// a progress bar (cli-progress) under those lines. Output that is not a terminal (a pipe, a file,
// the tests) only ever gets the plain lines.

import cliProgress from 'cli-progress';

export interface Reporter {
  /** Prints one line (above the bar, when there is one). */
  line(text: string): void;
  /** One more item is done. */
  tick(): void;
  /** Removes the bar; lines printed afterwards go straight to the output. */
  stop(): void;
}

export interface ReporterOptions {
  total: number;
  label: string;
  /** `'auto'`: a bar when stdout is a terminal and the job has at least `longJob` items. */
  progress: boolean | 'auto';
  longJob: number;
  print: (line: string) => void;
}

export function createReporter(options: ReporterOptions): Reporter {
  const wanted =
    options.progress === 'auto'
      ? process.stdout.isTTY === true && options.total >= options.longJob
      : options.progress;
  if (!wanted) {
    return { line: options.print, tick: () => undefined, stop: () => undefined };
  }
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stdout, // cli-progress draws on stderr by default; results go to stdout
      format: `${options.label} [{bar}] {value}/{total} {percentage}% | {duration_formatted}`,
      hideCursor: true,
      clearOnComplete: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(options.total, 0);
  let stopped = false;
  return {
    line: (text) => (stopped ? options.print(text) : bars.log(`${text}\n`)),
    tick: () => bar.increment(),
    stop: () => {
      if (stopped) return;
      stopped = true;
      bars.stop();
    },
  };
}
