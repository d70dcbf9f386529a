/** Which page builder answers which path (below the base path); null is a 404. */
import type { Page } from './model.js';
import type { PageContext } from './pages/context.js';
import { buildDeliveriesPage } from './pages/deliveries.js';
import { buildFindingsPage } from './pages/findings.js';
import { buildOncallPage } from './pages/oncall.js';
import { buildOverviewPage } from './pages/overview.js';
import { buildTeamPage, buildUserPage } from './pages/people.js';
import { buildPoliciesPage, buildPolicyPage } from './pages/policies.js';
import { buildReachabilityPage } from './pages/reachability.js';
import { buildEventPage, buildRunPage, buildRunsPage } from './pages/records.js';
import { buildRosterPage } from './pages/roster.js';
import { buildSearchPage } from './pages/search.js';
import { buildTimelinePage, buildTimelineQueryPage } from './pages/timeline.js';

const FIXED: Record<string, (ctx: PageContext) => Page> = {
  '/': buildOverviewPage,
  '/overview': buildOverviewPage,
  '/timeline': buildTimelinePage,
  '/timeline/query': buildTimelineQueryPage,
  '/roster': buildRosterPage,
  '/oncall': buildOncallPage,
  '/findings': buildFindingsPage,
  '/runs': buildRunsPage,
  '/deliveries': buildDeliveriesPage,
  '/search': buildSearchPage,
  '/policies': buildPoliciesPage,
  '/reachability': buildReachabilityPage,
};

const BY_NAME: [RegExp, (ctx: PageContext, name: string) => Page][] = [
  [/^\/users\/([^/]+)$/, buildUserPage],
  [/^\/teams\/([^/]+)$/, buildTeamPage],
  [/^\/policies\/([^/]+)$/, buildPolicyPage],
  [/^\/runs\/([^/]+)$/, buildRunPage],
  [/^\/events\/([^/]+)$/, buildEventPage],
];

/** `/users?name=..`: the pages of names a browser cannot send as a path segment (`.`, `..`). */
const BY_QUERY: Record<string, (ctx: PageContext, name: string) => Page> = {
  '/users': buildUserPage,
  '/teams': buildTeamPage,
};

export function routePage(path: string, ctx: PageContext): Page | null {
  const byQuery = BY_QUERY[path];
  const queried = ctx.url.searchParams.get('name');
  if (byQuery !== undefined && queried !== null) return byQuery(ctx, queried);
  const fixed = FIXED[path === '' ? '/' : path];
  if (fixed !== undefined) return fixed(ctx);
  for (const [pattern, build] of BY_NAME) {
    const match = pattern.exec(path);
    if (match === null) continue;
    let name: string;
    try {
      name = decodeURIComponent(match[1] as string);
    } catch {
      return null;
    }
    return build(ctx, name);
  }
  return null;
}
