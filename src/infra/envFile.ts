import { existsSync, readFileSync } from 'node:fs';

/**
 * Reads a dotenv-style file: `KEY=value` lines, `#` comments, optional single or double quotes,
 * an optional `export ` prefix. No interpolation: what is written is what is set.
 */
export const parseEnvFile = (text: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    if (!m) continue;
    let value = m[2]!;
    const quoted = /^(['"])(.*?)\1\s*(?:#.*)?$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, '');
    out[m[1]!] = value;
  }
  return out;
};

/**
 * The environment casestream reads: the env file named by ENV_FILE (default config/local.env,
 * when present) under the real environment variables, which win.
 */
export const loadEnvironment = (env: NodeJS.ProcessEnv = process.env): Record<string, string | undefined> => {
  const file = env.ENV_FILE ?? 'config/local.env';
  if (env.ENV_FILE && !existsSync(file)) throw new Error(`ENV_FILE names ${file}, which does not exist`);
  const fromFile = existsSync(file) ? parseEnvFile(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...env };
};
