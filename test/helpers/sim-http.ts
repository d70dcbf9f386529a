/** Small HTTP helpers for talking to the simulator in tests. */
export const SIM_AUTH = { 'X-VO-Api-Id': 'sim-api-id', 'X-VO-Api-Key': 'sim-api-key' } as const;

export interface SimResponse {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed body; undefined when it is not JSON. */
  json: unknown;
}

export async function simRequest(
  url: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<SimResponse> {
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...SIM_AUTH,
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...init.headers,
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, text, json };
}

/** The control URL (`http://host:port/_sim`) for a simulator base URL. */
export function simControlUrl(apiUrl: string): string {
  return apiUrl.replace(/\/api-public$/, '/_sim');
}
