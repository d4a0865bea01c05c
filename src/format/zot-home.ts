/**
 * Where zot keeps its state, resolved exactly as zot resolves it.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export interface ZotHomeEnv {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/** `$ZOT_HOME`; else the platform's state folder: macOS Application Support, Windows LOCALAPPDATA, XDG_STATE_HOME, ~/.local/state. */
export function zotHome(from: ZotHomeEnv = {}): string {
  const env = from.env ?? process.env;
  const platform = from.platform ?? process.platform;
  const home = from.home ?? homedir();
  if (env.ZOT_HOME) return env.ZOT_HOME;
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', 'zot');
  if (platform === 'win32' && env.LOCALAPPDATA) return join(env.LOCALAPPDATA, 'zot');
  if (env.XDG_STATE_HOME) return join(env.XDG_STATE_HOME, 'zot');
  return join(home, '.local', 'state', 'zot');
}
