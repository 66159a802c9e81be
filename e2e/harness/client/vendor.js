/**
 * Entry of the harness's vendor bundle: the modules Grafana shares with plugins (see
 * .config/bundler/externals.ts for what a plugin's module.js expects from `define`), plus the
 * harness itself (AMD define, backendSrv, theme, router, page modes).
 *
 * window.grafanaBootData must already be set when this bundle runs: @grafana/runtime builds its
 * `config` from it when the module is first evaluated, as in Grafana.
 */
import * as React from 'react';
import * as ReactJsxRuntime from 'react/jsx-runtime';
import * as ReactDOM from 'react-dom';
import * as ReactDOMClient from 'react-dom/client';
import * as ReactRouter from 'react-router';
import * as ReactRouterDom from 'react-router-dom';
import * as Rxjs from 'rxjs';
import * as RxjsOperators from 'rxjs/operators';
import * as EmotionCss from '@emotion/css';
import * as EmotionReact from '@emotion/react';
import * as GrafanaData from '@grafana/data';
import * as GrafanaUi from '@grafana/ui';
import * as GrafanaRuntime from '@grafana/runtime';
import * as GrafanaI18n from '@grafana/i18n';
import * as Lodash from 'lodash';
import * as Moment from 'moment';
import * as I18next from 'i18next';
// Not in the package's exports map (Grafana core calls it at start): the same module instance
// that @grafana/runtime's index re-exports PluginPage from.
import { setPluginPage } from 'grafana-runtime-plugin-page';
import { initializeI18n } from 'grafana-i18n-internal';
import { startHarness } from './app';

/** Module name (as a plugin's define() names it) → module, like Grafana's shared dependencies. */
const shared = {
  react: React,
  'react/jsx-runtime': ReactJsxRuntime,
  'react/jsx-dev-runtime': ReactJsxRuntime,
  'react-dom': ReactDOM,
  'react-dom/client': ReactDOMClient,
  'react-router': ReactRouter,
  'react-router-dom': ReactRouterDom,
  rxjs: Rxjs,
  'rxjs/operators': RxjsOperators,
  '@emotion/css': EmotionCss,
  '@emotion/react': EmotionReact,
  '@grafana/data': GrafanaData,
  '@grafana/ui': GrafanaUi,
  '@grafana/runtime': GrafanaRuntime,
  '@grafana/i18n': GrafanaI18n,
  lodash: Lodash,
  moment: Moment,
  i18next: I18next,
};

startHarness(shared, { setPluginPage, initializeI18n });
