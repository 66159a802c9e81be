import { getGrafanaRole, permissionsOf } from './useRole';
import { setRole } from '../test/role';

describe('roles (issue 11)', () => {
  it("come from the org role only, as Grafana's proxy decides route access", () => {
    setRole('GrafanaAdmin');
    expect(getGrafanaRole()).toBe('Viewer');
    expect(permissionsOf(getGrafanaRole())).toEqual({ role: 'Viewer', canOperate: false, canRestore: false });
    setRole('Editor');
    expect(permissionsOf(getGrafanaRole())).toEqual({ role: 'Editor', canOperate: true, canRestore: false });
    setRole('Admin');
    expect(permissionsOf(getGrafanaRole())).toEqual({ role: 'Admin', canOperate: true, canRestore: true });
  });
});
