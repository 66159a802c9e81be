/**
 * Grafana core's standard field options (public/app/core/components/OptionsUI/registry.tsx:
 * getAllStandardFieldConfigs), which every panel's useFieldConfig lists: the same ids, paths,
 * processors and defaults, with placeholder editors (the harness draws no options pane).
 */
export function standardFieldConfigs(data) {
  const NoEditor = () => null;
  const item = (id, process, extra = {}) => ({
    id,
    path: id,
    name: id,
    editor: NoEditor,
    override: NoEditor,
    process,
    shouldApply: () => true,
    ...extra,
  });
  const numeric = (field) => field.type === data.FieldType.number;
  return [
    item('unit', data.unitOverrideProcessor, { shouldApply: () => true }),
    item('min', data.numberOverrideProcessor, { shouldApply: numeric }),
    item('max', data.numberOverrideProcessor, { shouldApply: numeric }),
    item('fieldMinMax', data.booleanOverrideProcessor, { shouldApply: numeric, defaultValue: false }),
    item('decimals', data.numberOverrideProcessor, { shouldApply: numeric }),
    item('displayName', data.displayNameOverrideProcessor),
    item('noValue', data.stringOverrideProcessor),
    item('color', data.identityOverrideProcessor, {
      defaultValue: { mode: data.FieldColorModeId.PaletteClassic },
    }),
    item('thresholds', data.thresholdsOverrideProcessor, {
      defaultValue: {
        mode: data.ThresholdsMode.Absolute,
        steps: [
          { value: -Infinity, color: 'green' },
          { value: 80, color: 'red' },
        ],
      },
    }),
    item('mappings', data.valueMappingsOverrideProcessor, { defaultValue: [] }),
    item('links', data.dataLinksOverrideProcessor),
    item('filterable', data.booleanOverrideProcessor, { hideFromDefaults: true }),
  ];
}
