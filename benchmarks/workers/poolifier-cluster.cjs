'use strict';
/* global require, module -- a CommonJS worker script */
/* eslint-disable @typescript-eslint/no-require-imports -- the pool loads this script as CommonJS */
// poolifier's FixedClusterPool forks this module (node:cluster) as each worker process.
// CommonJS on purpose: with poolifier 5.3.2 an ES module worker here starts, reports ready, and
// never answers a task.
const { ClusterWorker } = require('poolifier');
const { inc, isPrime, spin } = require('./tasks.cjs');

module.exports = new ClusterWorker({ inc, isPrime, spin });
