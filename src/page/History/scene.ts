/**
 * The history charts as a Grafana scene (issue 15.5): Grafana's own time series panels on the
 * service's Prometheus metrics, through the data source the app is configured with, with the time
 * range and refresh pickers (kept in the URL), and each panel's menu opening its queries in Explore.
 */
import { config } from '@grafana/runtime';
import {
  EmbeddedScene,
  SceneControlsSpacer,
  SceneCSSGridLayout,
  SceneQueryRunner,
  SceneRefreshPicker,
  SceneTimePicker,
  SceneTimeRange,
  VizPanel,
  VizPanelMenu,
  sceneGraph,
  type SceneObject,
} from '@grafana/scenes';
import type { TargetRef } from '../../utils/lab';
import { chartDefinitions, ChartDefinition, exploreUrl } from './queries';

export interface HistorySceneOptions {
  datasourceUid: string;
  /** One target (its page), or the targets chosen on the History page (none: all). */
  targets: TargetRef[];
  /** A lab of several instances: series by instance and target. */
  multi?: boolean;
  from?: string;
}

function panelMenu(chart: ChartDefinition, datasource: { type: string; uid: string }): VizPanelMenu {
  const menu = new VizPanelMenu({ items: [] });
  // The menu is activated when it opens: the links then carry the current time range and variables.
  menu.addActivationHandler(() => {
    const range = sceneGraph.getTimeRange(menu).state.value.raw;
    const queries = chart.queries.map((q) => ({ refId: q.refId, expr: sceneGraph.interpolate(menu, q.expr) }));
    menu.setItems([
      {
        text: 'Explore',
        iconClassName: 'compass',
        href: exploreUrl(
          datasource,
          queries,
          { from: String(range.from), to: String(range.to) },
          config.bootData?.user?.orgId ?? 1
        ),
      },
    ]);
  });
  return menu;
}

function chartPanel(chart: ChartDefinition, datasource: { type: string; uid: string }): VizPanel {
  const dashed = chart.queries.length > 1 ? chart.queries[chart.queries.length - 1] : undefined;
  return new VizPanel({
    key: `chart-${chart.id}`,
    pluginId: 'timeseries',
    title: chart.title,
    description: chart.description,
    menu: panelMenu(chart, datasource),
    $data: new SceneQueryRunner({
      datasource,
      queries: chart.queries.map((q) => ({ ...q, datasource, range: true, editorMode: 'code' })),
      maxDataPoints: 300,
    }),
    options: { legend: { showLegend: true, displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    fieldConfig: {
      defaults: {
        unit: chart.unit,
        ...(chart.min !== undefined ? { min: chart.min } : {}),
        ...(chart.max !== undefined ? { max: chart.max } : {}),
        custom: { lineWidth: 2, fillOpacity: 8, showPoints: 'auto', spanNulls: true },
      },
      overrides: dashed
        ? [
            {
              matcher: { id: 'byFrameRefID', options: dashed.refId },
              properties: [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }],
            },
          ]
        : [],
    },
  });
}

export function historyScene({
  datasourceUid,
  targets,
  multi = false,
  from = 'now-7d',
}: HistorySceneOptions): EmbeddedScene {
  const datasource = { type: 'prometheus', uid: datasourceUid };
  const controls: SceneObject[] = [
    new SceneControlsSpacer(),
    new SceneTimePicker({}),
    new SceneRefreshPicker({ intervals: ['30s', '1m', '5m', '15m', '1h'] }),
  ];
  return new EmbeddedScene({
    $timeRange: new SceneTimeRange({ from, to: 'now' }),
    controls,
    body: new SceneCSSGridLayout({
      templateColumns: 'repeat(auto-fit, minmax(min(100%, 380px), 1fr))',
      autoRows: '260px',
      rowGap: 1,
      columnGap: 1,
      children: chartDefinitions(targets, multi).map((c) => chartPanel(c, datasource)),
    }),
  });
}
