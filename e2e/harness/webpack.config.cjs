/**
 * The harness's vendor bundle: what Grafana provides to plugins (react, @grafana/*, rxjs, ...)
 * plus the harness page logic. Built with the webpack installed at the root; see build.mjs.
 */
const path = require('node:path');
const webpack = require('webpack');

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.resolve(__dirname, 'build');

module.exports = (env = {}) => ({
  mode: env.development ? 'development' : 'production',
  context: __dirname,
  entry: { vendor: path.resolve(__dirname, 'client/vendor.js') },
  output: {
    path: OUT,
    filename: '[name].js',
    chunkFilename: 'chunk-[contenthash].js',
    // Lazy chunks of @grafana/ui etc. load from where the server serves this folder.
    publicPath: '/public/harness/',
    clean: { keep: /^\.(cache|inputs-hash)/ },
  },
  devtool: false,
  target: 'web',
  cache: {
    type: 'filesystem',
    cacheDirectory: path.resolve(OUT, '.cache'),
    buildDependencies: { config: [__filename] },
  },
  resolve: {
    modules: [path.resolve(ROOT, 'node_modules'), 'node_modules'],
    extensions: ['.js', '.mjs', '.cjs', '.json'],
    alias: {
      // Grafana core calls setPluginPage at start; it is not in @grafana/runtime's exports map.
      'grafana-runtime-plugin-page$': path.resolve(
        ROOT,
        'node_modules/@grafana/runtime/dist/esm/components/PluginPage.mjs'
      ),
      // Grafana core initialises i18next for everyone (@grafana/i18n/internal, not in the exports map).
      'grafana-i18n-internal$': path.resolve(ROOT, 'node_modules/@grafana/i18n/dist/esm/i18n.mjs'),
    },
    fallback: { fs: false, path: false, crypto: false, stream: false, buffer: false, util: false },
  },
  module: {
    rules: [
      // ESM packages (.mjs) import without extensions.
      { test: /\.m?js$/, resolve: { fullySpecified: false } },
      { test: /\.css$/, use: ['style-loader', 'css-loader'] },
      { test: /\.(png|jpe?g|gif|svg|woff2?|eot|ttf|otf)$/, type: 'asset/resource' },
    ],
  },
  plugins: [
    new webpack.DefinePlugin({
      'process.env.NODE_ENV': JSON.stringify(env.development ? 'development' : 'production'),
    }),
    new webpack.ProvidePlugin({ process: require.resolve('./client/process-shim.js') }),
  ],
  performance: { hints: false },
  // @grafana/ui's react-router-dom-v5-compat names v5 exports it never uses with the v6 router here.
  ignoreWarnings: [{ module: /react-router-dom-v5-compat/ }],
  optimization: {
    // Minifying ~10 MB of @grafana/ui costs a minute on two cores and buys nothing on loopback.
    minimize: Boolean(env.minimize),
    splitChunks: false,
  },
  stats: 'errors-warnings',
});
