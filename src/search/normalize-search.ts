import { yamlLibrary } from '../lazy-library.js';
import { resolveUserPath } from '../paths.js';
import { fromNniSpace } from './nni-space.js';
import { gridCombination, gridSize, isSearchParams, jobParams, parseSearchSpace, sample, type SearchSpace } from './space.js';
import { givenProblemMessages, givenTrial } from './space-values.js';
import { trialJobName } from './trial-names.js';
import { resolveAssets } from '../batch/assets.js';
import { configShapeIssues } from '../batch/config-shape.js';
import { canonicalJson, shortHash } from '../batch/names.js';
import { readRegularFile } from '../batch/regular-file.js';
import { directoryProblem, haltFailures, type NormalizeOptions, normalizeBatch } from '../batch/normalize.js';
import { expandCommand, placeholderNames } from '../batch/placeholders.js';
import type { SearchTemplateInput } from '../batch/schema.js';
import type { BatchSpec, SearchObjective, SearchSpec } from '../batch/spec.js';
import type { JsonValue } from '../batch/types.js';
import { invalid } from '../batch/validate.js';

/**
 * A search template with every default filled in: the batch's fields as for any batch, and its
 * search (space, algorithm, budget, seed, and the template its trials' jobs are made from).
 * `seed` gives the seed to use when the config names none (the last run's, so a resume stays exact).
 */
export function normalizeSearch(
  input: SearchTemplateInput,
  options: NormalizeOptions & { readonly seed: (batchName: string) => number },
  where?: string,
): BatchSpec {
  const issues: string[] = [];
  const fromFile = new Set<string>();
  const params = spaceParams(input, options.baseDir, issues, fromFile);
  const { space, issues: spaceIssues } = parseSearchSpace(params);
  // A param of the space file is named as the file names it, not as the params it became.
  const file = input.search.space_file;
  issues.push(
    ...spaceIssues.map((issue) => {
      const key = /^params\.([^.:[]+)/.exec(issue)?.[1];
      return key !== undefined && fromFile.has(key) ? issue.replace(/^params\.[^:]*/, `search.space_file ${file}: ${key}`) : issue;
    }),
  );
  const s = input.search;
  const objectives = searchObjectives(s, issues);
  const learnsFrom = s.metric !== undefined || objectives !== undefined;
  const algorithm = s.algorithm ?? (learnsFrom ? 'tpe' : 'random');
  if (s.multivariate && algorithm !== 'tpe') issues.push(`search.multivariate: only tpe models params jointly (this search is ${algorithm})`);
  if (algorithm === 'tpe' && !learnsFrom) issues.push('search.metric: required by tpe: the metric it learns from (or search.metrics, several)');
  if (algorithm === 'command' && s.command === undefined) issues.push('search.command: required by algorithm command: the sampler to run');
  if (algorithm !== 'command' && s.command !== undefined) issues.push(`search.command: only algorithm command runs a sampler (this search is ${algorithm})`);
  if (s.target !== undefined && objectives)
    issues.push('search.target: a search of several objectives has no one value to reach; end it by max_trials or max_duration');
  else if (s.target !== undefined && s.metric === undefined) issues.push('search.target: needs search.metric, the metric it is a value of');
  if (algorithm === 'grid' && isSearchParams(params))
    issues.push('search.algorithm: grid takes every param as a list of values; a space with distributions needs random, sobol or tpe');
  if (algorithm !== 'grid' && algorithm !== 'command' && space.dims.length === 0 && issues.length === 0)
    issues.push(`search.algorithm: ${algorithm} needs a param with a distribution (uniform, loguniform, int, choice); lists alone are a grid`);
  const initial = initialTrials(s.initial, space, algorithm, issues);
  const finite = algorithm === 'grid' ? gridSize(space) : space.size;
  // A sampler of the user's may end the search itself.
  if (algorithm !== 'command' && s.max_trials === undefined && !Number.isFinite(finite) && s.max_duration === undefined && s.target === undefined)
    issues.push('search.max_trials: required: the space is infinite (or give max_duration or target)');
  const workingDir = input.execution.working_dir ? resolveUserPath(input.execution.working_dir, options.baseDir) : undefined;
  if (workingDir && input.backend?.type !== 'remote') {
    const problem = directoryProblem(workingDir);
    if (problem) issues.push(`execution.working_dir: ${problem}`);
  }
  const assets = input.execution.assets && resolveAssets(input.execution.assets, options.baseDir, 'execution.assets', issues, new Map());
  if (issues.length === 0) {
    // Every placeholder must be one a trial can fill: checked on one sample, before anything runs.
    const one = sample(space, () => 0);
    const params = algorithm === 'grid' ? (gridCombination(space, 0) ?? {}) : jobParams(space, one.params, gridCombination(space, 0)!);
    const expanded = expandCommand(input.execution.command, { params, job: trialJobName(1), batch: 'batch' });
    if ('unknown' in expanded) {
      issues.push(`execution.command: unknown placeholder {${expanded.unknown}} (a trial has ${placeholderNames(params)}; {{ and }} are literal braces)`);
    }
    if ('refused' in expanded) issues.push(`execution.command: ${expanded.refused}`);
  }
  // Early stopping in a search of several objectives: checked here, with the rest, and kept.
  const pruning = input.early_stopping && objectives ? prunedObjective(input.early_stopping, objectives, issues) : undefined;
  if (issues.length > 0) throw invalid('E_CONFIG_INVALID', issues, where);

  const { params: _params, search: _search, execution: _execution, resource: _resource, timeout: _timeout, retries: _retries, ...batchFields } = input;
  const defaultName = options.defaultName ?? `search-${shortHash(canonicalJson([params, input.execution.command]), 8)}`;
  // Early stopping judges a search's trials on its metric, unless told otherwise.
  const es = batchFields.early_stopping;
  const early_stopping = es ? (pruning ?? { ...es, metric: es.metric ?? s.metric, goal: es.goal ?? s.goal }) : undefined;
  const batch = normalizeBatch({ ...batchFields, ...(early_stopping ? { early_stopping } : {}), jobs: [] }, { ...options, defaultName }, where);
  const timeout = input.timeout ?? input.job_defaults?.timeout;
  const search: SearchSpec = {
    algorithm,
    ...(s.metric !== undefined ? { metric: s.metric } : {}),
    goal: s.goal ?? 'min',
    ...(objectives ? { objectives } : {}),
    maxTrials: s.max_trials ?? (Number.isFinite(finite) && algorithm !== 'command' ? finite : undefined),
    ...(s.max_duration !== undefined ? { maxDurationMs: s.max_duration * 1000 } : {}),
    ...(s.target !== undefined ? { target: s.target } : {}),
    seed: s.seed ?? options.seed(batch.name),
    startupTrials: s.startup_trials ?? 10,
    // Several objectives are traded through params that act together: joint kernels covered more of ZDT1 and ZDT2 (bench/search).
    ...((s.multivariate ?? (objectives !== undefined && algorithm === 'tpe')) ? { multivariate: true } : {}),
    ...(initial.length > 0 ? { initial } : {}),
    ...(s.command !== undefined ? { sampler: { command: s.command, cwd: options.baseDir, askTimeoutMs: (s.ask_timeout ?? 120) * 1000 } } : {}),
    space: params,
    template: {
      command: input.execution.command,
      ...(workingDir ? { workingDir, workingDirAsWritten: input.execution.working_dir } : {}),
      ...(input.execution.outputs ? { outputs: input.execution.outputs } : {}),
      ...(assets ? { assets } : {}),
      ...(input.resource ? { resource: input.resource } : {}),
      ...(timeout !== undefined && timeout > 0 ? { timeoutMs: timeout * 1000 } : {}),
      retries: input.retries ?? input.job_defaults?.retries ?? 1,
    },
  };
  if (search.maxTrials === undefined) delete (search as { maxTrials?: number }).maxTrials;
  const jobsPerTrial = algorithm === 'grid' ? 1 : gridSize(space);
  const halt = input.halt ? { failures: haltFailures(input.halt.fail, (search.maxTrials ?? 100) * jobsPerTrial), when: input.halt.when ?? 'soon' } : undefined;
  return { ...batch, ...(halt ? { halt } : {}), search };
}

/**
 * `search.metrics`: the objectives of a search of several, each named once; undefined for a
 * search of one (or none). Giving both it and `metric`/`goal` is refused: which would rank?
 */
function searchObjectives(s: SearchTemplateInput['search'], issues: string[]): SearchObjective[] | undefined {
  if (s.metrics === undefined) return undefined;
  if (s.metric !== undefined || s.goal !== undefined)
    issues.push(`search.${s.metric !== undefined ? 'metric' : 'goal'}: give either search.metric (and goal) or search.metrics, not both`);
  const seen = new Set<string>();
  s.metrics.forEach(({ name }, i) => {
    if (seen.has(name)) issues.push(`search.metrics[${i}].name: ${name} is an objective already; name each metric once`);
    seen.add(name);
  });
  return s.metrics.map(({ name, goal }) => ({ metric: name, goal }));
}

/**
 * Early stopping in a search of several objectives: it prunes on one metric, which the config
 * must name (no objective is more the search's than another); an objective's goal is its own.
 */
function prunedObjective(
  es: NonNullable<SearchTemplateInput['early_stopping']>,
  objectives: readonly SearchObjective[],
  issues: string[],
): NonNullable<SearchTemplateInput['early_stopping']> {
  if (es.metric === undefined)
    issues.push(`early_stopping.metric: required in a search of several objectives: the one to prune on (${objectives.map((o) => o.metric).join(', ')})`);
  const own = objectives.find((o) => o.metric === es.metric);
  if (own && es.goal !== undefined && es.goal !== own.goal)
    issues.push(`early_stopping.goal: ${es.metric} is an objective to ${own.goal}imize (search.metrics); drop goal or make it ${own.goal}`);
  return { ...es, goal: es.goal ?? own?.goal ?? 'min' };
}

/**
 * `search.initial`: each entry's params checked against the space, in its order; what is wrong
 * goes to `issues`, by entry and param. The grid walks every point of its grid: nothing to seed.
 */
function initialTrials(
  initial: readonly Readonly<Record<string, unknown>>[] | undefined,
  space: SearchSpace,
  algorithm: SearchSpec['algorithm'],
  issues: string[],
): Record<string, JsonValue>[] {
  if (!initial || initial.length === 0) return [];
  if (algorithm === 'grid') {
    issues.push('search.initial: the grid algorithm runs every point of its grid; seeding is for random, sobol, tpe and command');
    return [];
  }
  return initial.flatMap((given, i) => {
    const trial = givenTrial(space, given);
    if (!('missing' in trial)) return [trial.params];
    issues.push(...givenProblemMessages(space, trial, `search.initial[${i}]`));
    return [];
  });
}

/** An NNI space file is a few kilobytes; far more is no space file. */
const maxSpaceFileBytes = 10 * 1024 * 1024;

/** A space file's text as NNI reads one: JSON, else YAML (which takes what JSON's strictness refuses, such as trailing commas). */
function parseSpaceText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    const doc = yamlLibrary().parseDocument(text, { uniqueKeys: true });
    if (doc.errors[0]) throw doc.errors[0];
    return doc.toJS();
  }
}

/** The params of a search: its `params`, and those of its NNI `search.space_file`, which must not name the same param. */
function spaceParams(input: SearchTemplateInput, baseDir: string, issues: string[], fromFile: Set<string>): Record<string, JsonValue> {
  const own = (input.params ?? {}) as Record<string, JsonValue>;
  const file = input.search.space_file;
  if (file === undefined) {
    if (Object.keys(own).length === 0) issues.push('params: required (or search.space_file): the params to search');
    return own;
  }
  let text: string;
  try {
    text = readRegularFile(resolveUserPath(file, baseDir), maxSpaceFileBytes);
  } catch (error) {
    issues.push(`search.space_file: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
    return own;
  }
  let parsed: unknown;
  try {
    parsed = parseSpaceText(text);
  } catch (error) {
    issues.push(`search.space_file: ${file} is neither JSON nor YAML (${(error as Error).message.split('\n')[0]})`);
    return own;
  }
  // Read from a file the config names, so checked as a config is: nesting, keys that are no plain names.
  const shape = configShapeIssues(parsed);
  if (shape.length > 0) {
    issues.push(...shape.map((issue) => `search.space_file ${file}: ${issue}`));
    return own;
  }
  const converted = fromNniSpace(parsed, `search.space_file ${file}`);
  issues.push(...converted.issues);
  for (const key of Object.keys(own)) if (key in converted.params) issues.push(`params.${key}: also in search.space_file; give each param once`);
  for (const key of Object.keys(converted.params)) if (!(key in own)) fromFile.add(key);
  return { ...converted.params, ...own };
}
