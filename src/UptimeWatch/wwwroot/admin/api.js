// The sign-in HTTP API (/api/admin): setup, login, logout, me, password, tokens, agent tokens. Everything else goes over
// the socket.

/** A refused request: the server's own words (`error` of its JSON body), the status, and field → problem. */
export class ApiError extends Error {
  constructor(status, message, fields) {
    super(message);
    this.status = status;
    this.fields = fields ?? null;
  }
}

export async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    throw new ApiError(0, 'The server could not be reached. Is UptimeWatch running?', null);
  }
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    // Every /api/admin error is RFC 7807 problem details that also carry { error, fields } (docs/admin-protocol.md).
    const message = data?.error ?? data?.detail ?? data?.title ?? `The server answered ${response.status} ${response.statusText}`.trim();
    throw new ApiError(response.status, message, data?.fields ?? null);
  }
  return data;
}

export const setupStatus = () => api('GET', '/api/admin/setup');
export const setUp = (setupCode, password) => api('POST', '/api/admin/setup', { setupCode, password });
export const login = (userName, password) => api('POST', '/api/admin/login', { userName, password });
export const logout = () => api('POST', '/api/admin/logout');
export const changePassword = (current, next) => api('POST', '/api/admin/password', { current, new: next });
export const listTokens = () => api('GET', '/api/admin/tokens');
export const createToken = (name) => api('POST', '/api/admin/tokens', { name });
export const revokeToken = (id) => api('DELETE', `/api/admin/tokens/${encodeURIComponent(id)}`);
export const listAgentTokens = () => api('GET', '/api/admin/agent-tokens');
export const createAgentToken = (location) => api('POST', '/api/admin/agent-tokens', { location });
export const revokeAgentToken = (id) => api('DELETE', `/api/admin/agent-tokens/${encodeURIComponent(id)}`);
export const listChannels = () => api('GET', '/api/admin/channels');
export const testChannel = (name) => api('POST', `/api/admin/channels/${encodeURIComponent(name)}/test`);
export const listNotifications = (limit) => api('GET', `/api/admin/notifications?limit=${encodeURIComponent(limit)}`);

/** Who is signed in, or null when nobody is (401). Other failures throw. */
export async function me() {
  try {
    return await api('GET', '/api/admin/me');
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return null;
    throw error;
  }
}
