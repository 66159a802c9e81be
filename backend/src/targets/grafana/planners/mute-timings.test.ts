/** The mute timings planner: by name, compared by their time intervals. */
import { planMuteTiming } from './mute-timings';
import { contextOf, shown } from './testing/context';

const nights = { name: 'nights', time_intervals: [{ times: [{ start_time: '22:00', end_time: '06:00' }] }] };

describe('mute timings planner', () => {
  test('absent: created; the same intervals: unchanged; others: updated; managed elsewhere: skipped', () => {
    expect(shown(planMuteTiming(contextOf(), nights, null))).toEqual({ action: 'create', applies: true });
    expect(planMuteTiming(contextOf(), nights, { ...nights, provenance: '' }).action).toBe('unchanged');
    const weekends = { name: 'nights', time_intervals: [{ weekdays: ['saturday'] }] };
    expect(planMuteTiming(contextOf(), nights, weekends).action).toBe('update');
    expect(planMuteTiming(contextOf(), nights, { ...weekends, provenance: 'api' }).reason).toBe(
      "managed by provenance 'api': Grafana refuses other changes"
    );
  });
});
