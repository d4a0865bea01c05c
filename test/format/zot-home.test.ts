import { homedir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zotHome } from '../../src/format/zot-home.js';

const HOME = '/home/dev';

describe('zotHome', () => {
  it('is $ZOT_HOME when set, on every platform', () => {
    for (const platform of ['linux', 'darwin', 'win32'] as const) {
      expect(
        zotHome({ env: { ZOT_HOME: '/custom/zot', XDG_STATE_HOME: '/x', LOCALAPPDATA: '/l' }, platform, home: HOME }),
      ).toBe('/custom/zot');
    }
  });

  it('ignores an empty $ZOT_HOME', () => {
    expect(zotHome({ env: { ZOT_HOME: '' }, platform: 'linux', home: HOME })).toBe(join(HOME, '.local', 'state', 'zot'));
  });

  it('is ~/Library/Application Support/zot on macOS, even with XDG_STATE_HOME set', () => {
    expect(zotHome({ env: { XDG_STATE_HOME: '/x' }, platform: 'darwin', home: HOME })).toBe(
      join(HOME, 'Library', 'Application Support', 'zot'),
    );
  });

  it('is %LOCALAPPDATA%\\zot on Windows', () => {
    expect(zotHome({ env: { LOCALAPPDATA: '/c/Users/dev/AppData/Local', XDG_STATE_HOME: '/x' }, platform: 'win32', home: HOME })).toBe(
      join('/c/Users/dev/AppData/Local', 'zot'),
    );
  });

  it('falls back to XDG_STATE_HOME, then ~/.local/state, on Windows without LOCALAPPDATA', () => {
    expect(zotHome({ env: { XDG_STATE_HOME: '/x' }, platform: 'win32', home: HOME })).toBe(join('/x', 'zot'));
    expect(zotHome({ env: {}, platform: 'win32', home: HOME })).toBe(join(HOME, '.local', 'state', 'zot'));
  });

  it('is $XDG_STATE_HOME/zot elsewhere, and ~/.local/state/zot without it', () => {
    expect(zotHome({ env: { XDG_STATE_HOME: '/var/state' }, platform: 'linux', home: HOME })).toBe(join('/var/state', 'zot'));
    expect(zotHome({ env: { XDG_STATE_HOME: '' }, platform: 'linux', home: HOME })).toBe(join(HOME, '.local', 'state', 'zot'));
    expect(zotHome({ env: {}, platform: 'freebsd', home: HOME })).toBe(join(HOME, '.local', 'state', 'zot'));
  });

  it('ignores LOCALAPPDATA off Windows', () => {
    expect(zotHome({ env: { LOCALAPPDATA: '/l' }, platform: 'linux', home: HOME })).toBe(join(HOME, '.local', 'state', 'zot'));
  });

  it('defaults to the process environment, platform and home folder', () => {
    const expected = zotHome({ env: process.env, platform: process.platform, home: homedir() });
    expect(zotHome()).toBe(expected);
  });
});
