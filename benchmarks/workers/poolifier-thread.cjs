'use strict';
/* global require, module -- a CommonJS worker script */
/* eslint-disable @typescript-eslint/no-require-imports -- the pool loads this script as CommonJS */
// poolifier's FixedThreadPool loads this module in each worker thread; the first task function is the default.
const { ThreadWorker } = require('poolifier');
const { inc, isPrime, spin } = require('./tasks.cjs');

module.exports = new ThreadWorker({ inc, isPrime, spin });
