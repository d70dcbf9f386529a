/**
 * Realistic roster churn (hires, departures, team moves, email changes, renames, the odd
 * escalation policy edit) so the demo and soak tests have drift to detect. Which changes happen is decided by the seed
 * alone; only timestamps come from the clock.
 */
import { generateTeamName, generateUser } from './generate.js';
import type { SimOrg, SimTeam, SimUser } from './org.js';
import { createRandom } from './random.js';

export interface DriftDeps {
  org: SimOrg;
  seed: number;
  now?: () => Date;
  onChange?: (description: string) => void;
}

export interface DriftEngine {
  /** Applies `count` changes now and returns their descriptions. */
  apply(count: number): string[];
  /** Applies 1–3 changes every `intervalMs` until stop(). */
  start(intervalMs: number): void;
  stop(): void;
}

type Change = () => string | null;

export function createDriftEngine(deps: DriftDeps): DriftEngine {
  const { org } = deps;
  const now = deps.now ?? (() => new Date());
  const random = createRandom(deps.seed ^ 0xd71f7);
  let timer: NodeJS.Timeout | undefined;

  const usernames = {
    has: (name: string) => org.getUser(name) !== undefined,
    add: () => undefined,
  };
  const pickUser = (): SimUser | undefined => {
    const users = org.listUsers();
    return users.length === 0 ? undefined : random.pick(users);
  };
  const pickTeams = (count: number, exclude: ReadonlySet<string> = new Set()): SimTeam[] => {
    const candidates = org.listTeams().filter((team) => !exclude.has(team.slug));
    const chosen = new Map<string, SimTeam>();
    for (let tries = 0; chosen.size < count && tries < count * 4 && candidates.length > 0; tries += 1) {
      const team = random.pick(candidates);
      chosen.set(team.slug, team);
    }
    return [...chosen.values()];
  };

  const hire: Change = () => {
    const user = org.addUser(generateUser(random, usernames, now().getTime()));
    const teams = pickTeams(random.int(1, 2));
    for (const team of teams) org.addMember(team.slug, user.username);
    const into = teams.length > 0 ? ` into ${teams.map((team) => team.name).join(', ')}` : '';
    return `hired ${user.username} (${user.firstName} ${user.lastName})${into}`;
  };
  const depart: Change = () => {
    if (org.counts().users <= 1) return null;
    const user = pickUser();
    if (!user) return null;
    org.removeUser(user.username);
    return `${user.username} left the org`;
  };
  const moveTeam: Change = () => {
    const user = pickUser();
    if (!user) return null;
    const current = org.teamsOfUser(user.username);
    const [target] = pickTeams(1, new Set(current.map((team) => team.slug)));
    if (!target) return null;
    const from = current.length > 0 ? random.pick(current) : undefined;
    if (from) org.removeMember(from.slug, user.username);
    org.addMember(target.slug, user.username);
    return from
      ? `moved ${user.username} from ${from.name} to ${target.name}`
      : `added ${user.username} to ${target.name}`;
  };
  const changeEmail: Change = () => {
    const user = pickUser();
    if (!user) return null;
    const local = user.username.toLowerCase().replace(/@/g, 'a');
    const email = `${local}.${random.int(2, 999)}@${random.pick(['example.com', 'example.net', 'corp.example'])}`;
    org.updateUser(user.username, { firstName: user.firstName, lastName: user.lastName, email });
    return `changed email of ${user.username} to ${email}`;
  };
  const renameTeam: Change = () => {
    const [team] = pickTeams(1);
    if (!team) return null;
    const names = new Set(org.listTeams().map((candidate) => candidate.name.toLowerCase()));
    const name = generateTeamName(random, names);
    org.renameTeam(team.slug, name);
    return `renamed team ${team.slug} from "${team.name}" to "${name}"`;
  };

  const editPolicy: Change = () => {
    const candidates = org
      .listPolicies()
      .filter((policy) => policy.steps.some((step) => step.entries.some((e) => e.executionType === 'user')));
    if (candidates.length === 0) return null;
    const policy = random.pick(candidates);
    const stepIndex = random.pick(
      policy.steps.flatMap((step, index) =>
        step.entries.some((e) => e.executionType === 'user') ? [index] : [],
      ),
    );
    const step = policy.steps[stepIndex];
    if (!step) return null;
    const entryIndex = random.pick(
      step.entries.flatMap((e, index) => (e.executionType === 'user' ? [index] : [])),
    );
    const paged = new Set(
      step.entries.flatMap((e) => (e.executionType === 'user' ? [e.username.toLowerCase()] : [])),
    );
    const others = org
      .membersOfTeam(policy.teamSlug)
      .filter((user) => !paged.has(user.username.toLowerCase()));
    const before = step.entries[entryIndex];
    if (others.length === 0 || before?.executionType !== 'user') return null;
    const replacement = random.pick(others).username;
    const steps = policy.steps.map((candidate, index) =>
      index !== stepIndex
        ? candidate
        : {
            ...candidate,
            entries: candidate.entries.map((e, i) =>
              i === entryIndex ? { executionType: 'user' as const, username: replacement } : e,
            ),
          },
    );
    org.updatePolicy(policy.slug, { steps });
    return `policy "${policy.name}" step ${stepIndex + 1} now pages ${replacement} instead of ${before.username}`;
  };

  // editPolicy took the tail of changeEmail's range, so the other changes kept their draws.
  const weighted: [number, Change][] = [
    [0.25, hire],
    [0.2, depart],
    [0.3, moveTeam],
    [0.17, changeEmail],
    [0.03, editPolicy],
    [0.05, renameTeam],
  ];
  const applyOne = (): string | null => {
    let r = random.next();
    for (const [weight, change] of weighted) {
      r -= weight;
      if (r < 0) return change();
    }
    return changeEmail();
  };

  const apply = (count: number): string[] => {
    const descriptions: string[] = [];
    for (let i = 0; i < count; i += 1) {
      const description = applyOne();
      if (description === null) continue;
      descriptions.push(description);
      deps.onChange?.(description);
    }
    return descriptions;
  };

  return {
    apply,
    start(intervalMs) {
      if (timer) clearInterval(timer);
      timer = setInterval(() => apply(random.int(1, 3)), intervalMs);
    },
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
