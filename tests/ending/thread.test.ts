// The "Ending a running call" scenarios against the thread row of executors.ts (one file per
// executor, so that jest runs the executors in parallel).

import { executors } from './executors.js';
import { describeEnding } from './scenarios.js';

describeEnding(executors.thread);
