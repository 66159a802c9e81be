/** The data sources planner: by uid, secure fields said as what a person does, provisioned ones kept. */
import { planDatasource } from './datasources';
import { contextOf, shown } from './testing/context';

const influx = {
  uid: 'influxdb',
  name: 'InfluxDB telegraf',
  type: 'influxdb',
  url: 'http://127.0.0.1:8086',
  version: 2,
  secureJsonFields: { password: true },
};

describe('data sources planner', () => {
  test('absent: created, with the secure fields to enter again', () => {
    expect(shown(planDatasource(contextOf(), influx, null))).toEqual({
      action: 'create',
      human: 're-enter its secure fields (password): Grafana never exports them',
      applies: true,
    });
  });

  test('a data source of that name with another uid: an error (names are unique)', () => {
    const ctx = contextOf({ live: { datasources: [{ uid: 'influx-2', name: 'InfluxDB telegraf' }] } });
    expect(shown(planDatasource(ctx, influx, null))).toEqual({
      action: 'error',
      reason: "a data source named 'InfluxDB telegraf' exists with another uid (influx-2)",
      applies: false,
    });
  });

  test('the same but without its password: unchanged, the password still to enter', () => {
    const current = { ...influx, secureJsonFields: {} };
    expect(shown(planDatasource(contextOf(), influx, current))).toEqual({
      action: 'unchanged',
      human: 're-enter its secure fields (password): Grafana never exports them',
      applies: false,
    });
  });

  test('read-only (provisioned): skipped; changed later: kept unless forced; else updated', () => {
    const changed = { ...influx, url: 'http://10.0.0.1:8086' };
    expect(shown(planDatasource(contextOf(), influx, { ...changed, readOnly: true }))).toEqual({
      action: 'skipped-provisioned',
      reason: 'provisioned (read-only) data source',
      human: 'restore its provisioning file (Ansible)',
      applies: false,
    });
    expect(planDatasource(contextOf(), influx, { ...changed, version: 3 }).action).toBe('skipped-newer');
    expect(planDatasource(contextOf({ force: true }), influx, { ...changed, version: 3 }).action).toBe('update');
    expect(shown(planDatasource(contextOf(), influx, changed))).toEqual({ action: 'update', applies: true });
  });
});
