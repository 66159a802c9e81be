/**
 * Dashboards, as far as the harness needs them: Grafana's dashboard API
 *   GET  /api/dashboards/uid/<uid>     {dashboard, meta}
 *   POST /api/dashboards/db            {dashboard, overwrite}: save (Editor and above)
 * with one dashboard built in, uid "harness", holding the nested backup-age panel. /d/<uid> shows a
 * dashboard's first panel of the app's panel type (client/modes.js).
 */
import { readJsonBody, sendJson } from './http.mjs';

export function createDashboards({ panelId }) {
  const byUid = new Map();
  byUid.set('harness', {
    uid: 'harness',
    title: 'Backup SLA harness dashboard',
    panels: [{ id: 1, type: panelId, title: 'Backup age', gridPos: { x: 0, y: 0, w: 12, h: 8 }, options: {} }],
  });

  async function api(req, res, p, role) {
    const get = /^\/api\/dashboards\/uid\/([\w-]+)$/.exec(p);
    if (get && req.method === 'GET') {
      const dashboard = byUid.get(get[1]);
      if (!dashboard) {
        sendJson(res, 404, { message: 'Dashboard not found' });
        return true;
      }
      sendJson(res, 200, {
        dashboard,
        meta: { slug: dashboard.uid, url: `/d/${dashboard.uid}`, canEdit: role !== 'Viewer' },
      });
      return true;
    }
    if (p === '/api/dashboards/db' && req.method === 'POST') {
      if (role === 'Viewer') {
        sendJson(res, 403, { message: 'Permission denied' });
        return true;
      }
      const body = await readJsonBody(req);
      const dashboard = body?.dashboard;
      if (!dashboard?.uid || !Array.isArray(dashboard.panels)) {
        sendJson(res, 400, { message: 'bad request data' });
        return true;
      }
      if (byUid.has(dashboard.uid) && !body.overwrite) {
        sendJson(res, 412, { message: 'A dashboard with the same uid already exists', status: 'name-exists' });
        return true;
      }
      byUid.set(dashboard.uid, dashboard);
      sendJson(res, 200, { uid: dashboard.uid, url: `/d/${dashboard.uid}`, status: 'success', version: 1 });
      return true;
    }
    return false;
  }

  return { api, byUid };
}
