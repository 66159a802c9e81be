import { makeStatus } from '../../test/fixtures';
import { filterByLevel, formatSort, parseLevels, parseSort, sortTargets } from './sortTargets';

describe('overview sort and filter', () => {
  const targets = makeStatus().targets;
  const names = (ts: typeof targets) => ts.map((t) => t.name);

  it('sort worst first by default, and by name, age or next run either way', () => {
    expect(names(sortTargets(targets, parseSort('-state')))).toEqual(['mysql', 'prometheus', 'agama', 'ansible']);
    expect(names(sortTargets(targets, parseSort('state')))).toEqual(['agama', 'ansible', 'prometheus', 'mysql']);
    expect(names(sortTargets(targets, parseSort('-name')))).toEqual(['prometheus', 'mysql', 'ansible', 'agama']);
    // Same age: by name, A to Z, whichever the direction.
    expect(names(sortTargets(targets, parseSort('age')))).toEqual(['agama', 'ansible', 'prometheus', 'mysql']);
    expect(names(sortTargets(targets, parseSort('-age')))[0]).toBe('mysql');
    expect(parseSort('bogus')).toEqual({ key: 'state', desc: true });
    expect(formatSort({ key: 'age', desc: false })).toBe('age');
  });

  it('filter by the levels as shown', () => {
    expect(parseLevels('critical,nonsense,ok')).toEqual(['critical', 'ok']);
    expect(names(filterByLevel(targets, ['warning']))).toEqual(['prometheus']);
    expect(filterByLevel(targets, [])).toHaveLength(4);
  });
});
