import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isProjectKey, projectKey, sessionsDir, sessionsRoot } from '../../src/format/project-key.js';
import { API_CWD, FIXTURE_HOME, WEB_CWD } from '../helpers/zot-fixtures.js';

describe('projectKey', () => {
  it('gives the folder names zot gave the fixture projects', () => {
    expect(projectKey('/home/dev/src/api')).toBe('ea93126eefee3546');
    expect(projectKey('/home/dev/src/web')).toBe('9d9de448cb935a51');
    expect(projectKey(API_CWD)).toBe('ea93126eefee3546');
    expect(projectKey(WEB_CWD)).toBe('9d9de448cb935a51');
  });

  it('every fixture session lives in the folder of its cwd', () => {
    const root = join(FIXTURE_HOME, 'sessions');
    const folders = readdirSync(root);
    expect(folders.sort()).toEqual(['9d9de448cb935a51', 'ea93126eefee3546']);
    for (const folder of folders) {
      for (const file of readdirSync(join(root, folder))) {
        const meta = JSON.parse(readFileSync(join(root, folder, file), 'utf8').split('\n')[0]!) as { meta: { cwd: string } };
        expect(projectKey(meta.meta.cwd)).toBe(folder);
      }
    }
  });

  it('is the first 16 hex characters of sha256 of the UTF-8 cwd', () => {
    for (const cwd of ['', '/', 'C:\\Users\\dev\\src', '/srv/ünïcode/päth', '/home/dev/src/web & <docs>']) {
      const key = projectKey(cwd);
      expect(key).toBe(createHash('sha256').update(Buffer.from(cwd, 'utf8')).digest('hex').slice(0, 16));
      expect(isProjectKey(key)).toBe(true);
    }
    expect(projectKey('/home/dev/src/api/')).not.toBe(projectKey('/home/dev/src/api'));
  });
});

describe('isProjectKey', () => {
  it('accepts exactly 16 lower-case hex characters', () => {
    expect(isProjectKey('ea93126eefee3546')).toBe(true);
    expect(isProjectKey('EA93126EEFEE3546')).toBe(false);
    expect(isProjectKey('ea93126eefee354')).toBe(false);
    expect(isProjectKey('ea93126eefee35460')).toBe(false);
    expect(isProjectKey('ea93126eefee354g')).toBe(false);
    expect(isProjectKey('')).toBe(false);
  });
});

describe('sessionsRoot and sessionsDir', () => {
  it('are <home>/sessions and <home>/sessions/<key of cwd>', () => {
    expect(sessionsRoot('/h/zot')).toBe(join('/h/zot', 'sessions'));
    expect(sessionsDir('/h/zot', '/home/dev/src/api')).toBe(join('/h/zot', 'sessions', 'ea93126eefee3546'));
    expect(sessionsDir(FIXTURE_HOME, WEB_CWD)).toBe(join(FIXTURE_HOME, 'sessions', '9d9de448cb935a51'));
  });
});
