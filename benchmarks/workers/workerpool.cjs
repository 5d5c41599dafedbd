'use strict';
/* global require -- a CommonJS worker script */
/* eslint-disable @typescript-eslint/no-require-imports -- the pool loads this script as CommonJS */
// workerpool runs this script in each worker (thread or child process) and calls by method name.
const workerpool = require('workerpool');
const { inc, isPrime, spin } = require('./tasks.cjs');

workerpool.worker({ inc, isPrime, spin });
