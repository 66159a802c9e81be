/**
 * Grafana's core "timeseries" panel, reduced to what a plugin's charts use: @grafana/ui's uPlot
 * TimeSeries (the same drawing, axes and legend Grafana's panel uses), the standard field options
 * (unit, min, max, ...) and the time series field options with Grafana's defaults (line width,
 * fill, line style, points, ...), so that a panel's fieldConfig and overrides apply as in Grafana.
 */
export function createTimeSeriesPanel(shared) {
  const React = shared.react;
  const h = React.createElement;
  const data = shared['@grafana/data'];
  const ui = shared['@grafana/ui'];

  // public/app/plugins/panel/timeseries/config.ts: defaultGraphConfig
  const DEFAULTS = {
    drawStyle: 'line',
    lineInterpolation: 'linear',
    lineWidth: 1,
    fillOpacity: 0,
    gradientMode: 'none',
    barAlignment: 0,
    barWidthFactor: 0.6,
    stacking: { mode: 'none', group: 'A' },
    axisPlacement: 'auto',
    axisLabel: '',
    axisColorMode: 'text',
    axisBorderShow: false,
    axisCenteredZero: false,
    showPoints: 'auto',
    pointSize: 5,
    spanNulls: false,
    insertNulls: false,
    lineStyle: { fill: 'solid' },
    scaleDistribution: { type: 'linear' },
    hideFrom: { legend: false, tooltip: false, viz: false },
    thresholdsStyle: { mode: 'off' },
  };
  const NoEditor = () => null;
  const identity = (v) => v;
  const custom = (path, defaultValue) => ({
    id: path,
    path,
    name: path,
    editor: NoEditor,
    override: NoEditor,
    process: identity,
    shouldApply: () => true,
    defaultValue,
  });

  function TimeSeriesPanel({ data: panelData, timeRange, timeZone, width, height, options }) {
    const frames = panelData.series;
    if (!frames || frames.length === 0 || frames.every((f) => f.length === 0)) {
      return h(
        'div',
        { style: { display: 'grid', placeItems: 'center', height }, 'data-testid': 'panel-no-data' },
        'No data'
      );
    }
    return h(
      ui.TimeSeries,
      {
        frames,
        structureRev: panelData.structureRev,
        timeRange,
        timeZone,
        width,
        height,
        legend: options.legend ?? { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] },
        options,
      },
      (builder, alignedFrame) =>
        h(ui.TooltipPlugin2, {
          config: builder,
          hoverMode: ui.TooltipHoverMode?.xAll ?? 1,
          render: (u, dataIdxs) => {
            const i = dataIdxs[0] ?? dataIdxs.find((x) => x !== null);
            if (i === null || i === undefined) {
              return null;
            }
            const time = alignedFrame.fields[0].values[i];
            const rows = alignedFrame.fields.slice(1).map((field, s) => {
              const value = field.values[dataIdxs[s + 1] ?? i];
              const display = field.display ? data.formattedValueToString(field.display(value)) : String(value);
              return h('div', { key: s }, `${data.getFieldDisplayName(field, alignedFrame, frames)}: ${display}`);
            });
            return h(
              'div',
              { style: { padding: 8, fontSize: 12 } },
              h('div', { style: { fontWeight: 500 } }, data.dateTimeFormat(time, { timeZone })),
              rows
            );
          },
        })
    );
  }

  const plugin = new data.PanelPlugin(TimeSeriesPanel)
    .useFieldConfig({
      standardOptions: { [data.FieldConfigProperty.Color]: { defaultValue: { mode: 'palette-classic' } } },
      useCustomConfig: (builder) => {
        for (const [path, value] of Object.entries(DEFAULTS)) {
          builder.addCustomEditor(custom(path, value));
        }
      },
    })
    .setPanelOptions((builder) => {
      builder.addCustomEditor({
        id: 'legend',
        path: 'legend',
        name: 'Legend',
        editor: NoEditor,
        defaultValue: { showLegend: true, displayMode: 'list', placement: 'bottom', calcs: [] },
      });
      builder.addCustomEditor({
        id: 'tooltip',
        path: 'tooltip',
        name: 'Tooltip',
        editor: NoEditor,
        defaultValue: { mode: 'single', sort: 'none' },
      });
    });
  plugin.meta = {
    id: 'timeseries',
    name: 'Time series',
    type: 'panel',
    module: 'core:plugin/timeseries',
    baseUrl: 'public/app/plugins/panel/timeseries',
    info: { author: { name: 'Grafana Labs' }, description: '', logos: { small: '', large: '' }, version: '' },
    skipDataQuery: false,
    hideFromList: false,
    sort: 0,
  };
  return plugin;
}
