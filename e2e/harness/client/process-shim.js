// A minimal `process` for browser code that looks at it (libraries check process.env.X).
module.exports = {
  env: { NODE_ENV: 'production' },
  browser: true,
  version: '',
  versions: {},
  platform: 'browser',
  nextTick: (fn, ...args) => Promise.resolve().then(() => fn(...args)),
};
