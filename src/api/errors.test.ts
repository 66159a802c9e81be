import { describeError, toServiceError } from './errors';

describe('service errors', () => {
  it('sorts HTTP answers into what a person can act on', () => {
    expect(toServiceError({ status: 502, data: { message: 'Bad Gateway' } }).kind).toBe('unreachable');
    expect(
      toServiceError({ status: 401, data: { statusCode: 401, error: 'Unauthorized', message: 'bad token' } }).kind
    ).toBe('unauthorized');
    expect(toServiceError({ status: 409, data: { statusCode: 409, error: 'Conflict', message: 'busy' } }).kind).toBe(
      'busy'
    );
    expect(toServiceError(new Error('Failed to fetch')).kind).toBe('unreachable');
  });

  it("tells Grafana's 403 (role) from the service's 403 (token)", () => {
    const grafana = toServiceError({ status: 403, data: { message: 'plugin proxy route access denied' } });
    const service = toServiceError({
      status: 403,
      data: { statusCode: 403, error: 'Forbidden', message: 'viewer token' },
    });
    expect(grafana.fromService).toBe(false);
    expect(service.fromService).toBe(true);
    expect(describeError(grafana).title).toBe('Not allowed');
    expect(describeError(service).title).toBe('The service does not allow this');
  });
});
