/**
 * A local session an import wrote, against the bundled session it came
 * from, in random histories: the comparison (through TwinSink, as unpack
 * runs it) must say what a model of the two histories says, and an append
 * must leave the local session reading as the bundled one does.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinSink } from '../../src/batch/twin-sink.js';
import { describeSession } from '../../src/session/describe-session.js';
import { exportSession } from '../../src/session/export-session.js';
import { importSession } from '../../src/session/import-session.js';
import { seededRandom, type Random } from '../helpers/seeded-random.js';
import { cleanupTempDirs, effectiveTranscript, makeTempDir, renderSession, testId } from '../helpers/zot-archive.js';

afterAll(cleanupTempDirs);

type Kind = 'keep' | 'meta' | 'invalid';
interface Line {
  text: string;
  kind: Kind;
  /** A meta row's model. */
  model?: string;
}

const MODELS = ['model-a', 'model-b', 'model-c'];

/**
 * Random rows as zot writes them. A model switch's meta row carries the
 * session's title, as zot's does (it writes its current meta), so a switch
 * never clears a rename.
 */
function history(r: Random, first: string, n: number, tag: string, state: { title: string }): Line[] {
  const lines: Line[] = [];
  for (let i = 0; i < n; i++) {
    const pick = r.int(10);
    if (pick < 5) {
      const role = r.pick(['user', 'assistant']);
      lines.push({ kind: 'keep', text: `{"type":"message","message":{"role":"${role}","content":[{"text":"${tag} ${i}"}],"time":"2026-01-01T00:00:0${i % 10}Z"}}` });
    } else if (pick < 7) {
      const model = r.pick(MODELS);
      const titled = state.title ? first.replace('"version":"0.9.1"', `"version":"0.9.1","title":"${state.title}"`) : first;
      lines.push({ kind: 'meta', model, text: titled.replace(/"model":"[^"]*"/, `"model":"${model}"`) });
    } else if (pick < 8) {
      state.title = `${tag} title ${i}`;
      lines.push({ kind: 'keep', text: `{"title":"${state.title}","type":"rename"}` });
    } else {
      lines.push({ kind: 'invalid', text: `{"type":"message","message":{"role":"user","content":[{"text":"${tag} cut ${i}` });
    }
  }
  return lines;
}

const textOf = (lines: readonly Line[]) => lines.map((l) => `${l.text}\n`).join('');

/** What the comparison must find: a model of the two histories. */
function expected(first: Line, kept: Line[], extra: Line[], localWent: boolean, prefix: { local: Buffer; bundled: Buffer }): 'present' | 'appended' | 'conflict' {
  // Where the import wrote the session byte for byte so far (no later meta
  // row, no row zot skips before the last kept one), the bytes decide: the
  // bundle's extra bytes, whatever they hold, are appended.
  if (!localWent && prefix.bundled.subarray(0, prefix.local.length).equals(prefix.local)) return prefix.bundled.length > prefix.local.length ? 'appended' : 'present';
  // After the export point the local side holds the model its header holds: the last meta of `kept`.
  let current = [first, ...kept].filter((l) => l.kind === 'meta').at(-1)!.model;
  if (localWent) {
    if (extra.some((l) => l.kind === 'keep')) return 'conflict';
    const lastMeta = extra.filter((l) => l.kind === 'meta').at(-1);
    return lastMeta && lastMeta.model !== current ? 'conflict' : 'present';
  }
  // The rows after the export's last kept row are appended with the extra ones; growth is a row zot reads,
  // or a model the session ends with that the local header does not hold (switches there and back bring nothing).
  const lastKept = kept.map((l) => l.kind).lastIndexOf('keep');
  const after = [...kept.slice(lastKept + 1), ...extra];
  const endsWith = after.filter((l) => l.kind === 'meta').at(-1)?.model ?? current;
  return after.some((l) => l.kind === 'keep') || endsWith !== current ? 'appended' : 'present';
}

/** What this machine holds of `source` after zotpack's export of it was imported here (into `dir`). */
function importedCopy(source: string, dir: string): string {
  const exported = exportSession({ source, destination: join(dir, 'out') + '/', durable: false }).output;
  return importSession({ source: exported, home: join(dir, 'home'), durable: false, checkDuplicates: false }).output;
}

function feed(sink: TwinSink, bytes: Buffer, r: Random) {
  for (let i = 0; i < bytes.length; ) {
    const n = r.between(1, 200);
    sink.write(bytes.subarray(i, i + n));
    i += n;
  }
  return sink.finish();
}

describe('an imported local session against its bundled one, in random histories', () => {
  it('is present, appended or a conflict as the histories say, and an appended one reads as the bundled one', () => {
    const r = seededRandom(2026);
    const seen = new Set<string>();
    for (let round = 0; round < 150; round++) {
      const dir = makeTempDir();
      const firstText = renderSession({ cwd: '/twin', id: testId(`twin-${round}`), rows: [] }).text.split('\n')[0]!;
      const first: Line = { kind: 'meta', text: firstText.replace(/"model":"[^"]*"/, `"model":"${MODELS[0]}"`), model: MODELS[0] };
      const state = { title: '' };
      const kept = history(r, first.text, r.between(0, 8), `there ${round}`, state);
      const extra = r.chance(0.6) ? history(r, first.text, r.between(1, 5), `later ${round}`, state) : [];
      const localWent = r.chance(0.4);

      // The other machine's session when it was exported, and the import of that export here.
      const source = join(dir, 'source.jsonl');
      writeFileSync(source, textOf([first, ...kept]));
      const local = importedCopy(source, dir);
      if (localWent) appendFileSync(local, `{"type":"message","message":{"role":"user","content":[{"text":"here ${round}"}],"time":"2026-02-01T00:00:00Z"}}\n`);
      // The other machine went on; its session now, as a bundle holds it.
      appendFileSync(source, textOf(extra));
      const before = readFileSync(local);

      const want = expected(first, kept, extra, localWent, { local: before, bundled: readFileSync(source) });
      const got = feed(new TwinSink(local, { onConflict: 'skip', dryRun: false, durable: false }), readFileSync(source), r);
      expect(got.status, `round ${round}`).toBe(want);
      seen.add(want);
      if (want === 'appended') {
        expect(effectiveTranscript(local), `round ${round}`).toEqual(effectiveTranscript(source));
        expect(describeSession(local).summary, `round ${round}`).toEqual(describeSession(source).summary);
        // Run again: nothing more to bring.
        expect(feed(new TwinSink(local, { onConflict: 'skip', dryRun: false, durable: false }), readFileSync(source), r).status, `round ${round}`).toBe('present');
      } else {
        expect(readFileSync(local).equals(before), `round ${round}`).toBe(true);
      }
    }
    expect([...seen].sort()).toEqual(['appended', 'conflict', 'present']);
  });
});

describe('an imported local session against its bundled one: renames', () => {
  const meta = (id: string, model: string, title?: string) =>
    `{"type":"meta","meta":{"id":"${id}","cwd":"/twin","model":"${model}","provider":"x","started":"2026-01-01T00:00:00Z"${title === undefined ? '' : `,"title":"${title}"`}}}`;
  const msg = (text: string) => `{"type":"message","message":{"role":"user","content":[{"text":"${text}"}],"time":"2026-01-01T00:00:01Z"}}`;
  const rename = (title: string) => `{"title":"${title}","type":"rename"}`;

  /** The session on the other machine, its export imported here, then `there` and `here` appended to each side. */
  function twin(rows: string[], there: string[], here: string[]) {
    const dir = makeTempDir();
    const source = join(dir, 'source.jsonl');
    writeFileSync(source, `${rows.join('\n')}\n`);
    const local = importedCopy(source, dir);
    if (there.length) appendFileSync(source, `${there.join('\n')}\n`);
    if (here.length) appendFileSync(local, `${here.join('\n')}\n`);
    const before = readFileSync(local);
    const got = feed(new TwinSink(local, { onConflict: 'skip', dryRun: false, durable: false }), readFileSync(source), seededRandom(7));
    return { got, source, local, before };
  }

  it.each([
    ['the same title again after a switch (the export keeps the second rename only)', (id: string) => [meta(id, 'm1'), msg('a'), rename('A'), meta(id, 'm2'), rename('A'), msg('b')]],
    ['a rename a last switch overrides (the export leaves it out)', (id: string) => [meta(id, 'm1'), msg('a'), rename('A'), meta(id, 'm2')]],
    ['a rename, a switch that keeps its title, a rename', (id: string) => [meta(id, 'm1'), msg('a'), rename('A'), meta(id, 'm2', 'A'), rename('B')]],
  ])('%s: present, the local file untouched', (_what, rows) => {
    const { got, local, before } = twin(rows(testId(`twin-rename-${_what}`)), [], []);
    expect(got.status).toBe('present');
    expect(readFileSync(local).equals(before)).toBe(true);
  });

  it.each([
    ['the same title as a rename a last switch overrides', (id: string) => [meta(id, 'm1'), msg('a'), rename('A'), meta(id, 'm2')], [rename('A')]],
    ['a title after a switch', (id: string) => [meta(id, 'm1'), msg('a'), meta(id, 'm2')], [rename('X')]],
    ['a title after a switch that carries the title, as zot writes one', (id: string) => [meta(id, 'm1'), msg('a'), rename('A'), meta(id, 'm2', 'A')], [rename('X')]],
  ])('a rename here only, %s: present, ahead, the local file untouched', (what, rows, here) => {
    const { got, local, before } = twin(rows(testId(`twin-here-${what}`)), [], here);
    expect(got).toMatchObject({ status: 'present', localAhead: true });
    expect(readFileSync(local).equals(before)).toBe(true);
  });

  it('a switch there after a rename the export kept: appended, and read as there', () => {
    const id = testId('twin-switch-after-kept');
    const { got, source, local } = twin([meta(id, 'm1'), msg('a'), rename('A')], [meta(id, 'm3', 'A')], []);
    expect(got.status).toBe('appended');
    expect(describeSession(local).summary).toEqual(describeSession(source).summary);
  });

  it('a rename on the other side only: appended, then present', () => {
    const id = testId('twin-rename-there');
    const { got, source, local } = twin([meta(id, 'm1'), msg('a'), rename('A'), meta(id, 'm2')], [rename('B')], []);
    expect(got.status).toBe('appended');
    expect(describeSession(local).summary).toEqual(describeSession(source).summary);
    expect(feed(new TwinSink(local, { onConflict: 'skip', dryRun: false, durable: false }), readFileSync(source), seededRandom(8)).status).toBe('present');
  });

  it('a rename here only: present, ahead; a rename on both sides, or here and a message there: a conflict', () => {
    const rows = (id: string) => [meta(id, 'm1'), msg('a'), rename('A')];
    expect(twin(rows(testId('twin-here')), [], [rename('Here')]).got).toMatchObject({ status: 'present', localAhead: true });
    for (const there of [[rename('There')], [msg('there')]]) {
      const { got, local, before } = twin(rows(testId(`twin-both-${there[0]}`)), there, [rename('Here')]);
      expect(got.status, there[0]).toBe('conflict');
      expect(readFileSync(local).equals(before)).toBe(true);
    }
  });
});

describe('an imported local session against its bundled one, renames and switches in random orders', () => {
  it('where only the other side went on: never a conflict, and after it the local session reads as the bundled one', () => {
    const r = seededRandom(4242);
    const statuses = new Set<string>();
    for (let round = 0; round < 200; round++) {
      const dir = makeTempDir();
      const id = testId(`twin-titles-${round}`);
      // Few titles, so that a rename repeats one; switches with a title, with none, or with the current model.
      const row = (): string => {
        const pick = r.int(10);
        if (pick < 4) return `{"type":"message","message":{"role":"user","content":[{"text":"m ${r.int(1000)}"}],"time":"2026-01-01T00:00:01Z"}}`;
        if (pick < 7) return `{"title":"${r.pick(['A', 'B', 'C'])}","type":"rename"}`;
        const title = r.pick([undefined, 'A', 'B']);
        return `{"type":"meta","meta":{"id":"${id}","cwd":"/twin","model":"${r.pick(['m1', 'm2'])}","provider":"x","started":"2026-01-01T00:00:00Z"${title === undefined ? '' : `,"title":"${title}"`}}}`;
      };
      const first = `{"type":"meta","meta":{"id":"${id}","cwd":"/twin","model":"m1","provider":"x","started":"2026-01-01T00:00:00Z"}}`;
      const kept = Array.from({ length: r.between(0, 8) }, row);
      const extra = r.chance(0.6) ? Array.from({ length: r.between(1, 5) }, row) : [];
      const source = join(dir, 'source.jsonl');
      writeFileSync(source, `${[first, ...kept].join('\n')}\n`);
      const local = importedCopy(source, dir);
      if (extra.length) appendFileSync(source, `${extra.join('\n')}\n`);
      const before = readFileSync(local);
      const got = feed(new TwinSink(local, { onConflict: 'skip', dryRun: false, durable: false }), readFileSync(source), r);
      const story = `round ${round}: ${[first, ...kept].length} rows, then ${extra.length}`;
      expect(got.status, story).not.toBe('conflict');
      statuses.add(got.status);
      const { path: _l, ...localSummary } = describeSession(local).summary as unknown as Record<string, unknown>;
      const { path: _s, ...sourceSummary } = describeSession(source).summary as unknown as Record<string, unknown>;
      expect(localSummary, story).toEqual(sourceSummary);
      expect(effectiveTranscript(local), story).toEqual(effectiveTranscript(source));
      if (got.status === 'present') expect(readFileSync(local).equals(before), story).toBe(true);
      // Again: nothing more to bring.
      expect(feed(new TwinSink(local, { onConflict: 'skip', dryRun: false, durable: false }), readFileSync(source), r).status, story).toBe('present');
    }
    expect([...statuses].sort()).toEqual(['appended', 'present']);
  });
});
