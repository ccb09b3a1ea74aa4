// The encrypted profile vault (format in vault-format.ts): scrypt-derived key (or KDF "none" for
// --no-passphrase profiles, which is NOT protection: the key sits in the file header),
// XChaCha20-Poly1305 with the header as AAD, a fresh 24-byte nonce per save, atomic replacement.
// History is not in the vault: each conversation has its own sealed log (history-logs.ts) whose key
// the vault holds, read when the conversation is first needed (never at open); a version-1 vault
// (history inside) is migrated to that once, when it opens.
import { randomBytes } from 'node:crypto';
import { lstat, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import {
  fsyncDirectory,
  previousVersionPath,
  removeStrayTempFiles,
  writeFileAtomic,
} from './atomic-write.js';
import { VaultClosedError, VaultCorruptedError, VaultExistsError } from './errors.js';
import { HistoryLogs, type ConversationHistory, type HistoryProblem } from './history-logs.js';
import { HEADER_LENGTH, NONCE_LENGTH, encodeHeader, type ScryptParams } from './vault-format.js';
import {
  cloneVaultState,
  encodeVaultState,
  type DecodedVaultState,
  type HistoryLogRefs,
} from './vault-state-json.js';
import {
  wipeContactSecrets,
  wipeIdentity,
  type HistoryMessageRecord,
  type VaultState,
} from './vault-state.js';
import {
  DEFAULT_SCRYPT_PARAMS,
  deriveNewKey,
  profileIdOf,
  unsealVault,
  type KeyMaterial,
} from './vault-unseal.js';
import { xchachaSeal } from './xchacha20poly1305.js';

export { DEFAULT_SCRYPT_PARAMS } from './vault-unseal.js';

export interface VaultOptions {
  /** scrypt cost for newly written keys (creation, passphrase change). */
  readonly scrypt?: ScryptParams;
}

export interface OpenVaultOptions extends VaultOptions {
  /**
   * Open `<path>.prev` instead (after the main file was reported corrupted). The first save then
   * moves the damaged main file aside to `<path>.damaged-<ms>` and writes a new main file; the
   * good `.prev` is not rotated away by that save.
   */
  readonly usePreviousVersion?: boolean;
}

export interface SaveOptions {
  /** The save follows a deletion (remove contact, clear history, history off). */
  readonly forget?: boolean;
}

export interface Vault {
  readonly path: string;
  /** The last saved state. Its identity bytes belong to the vault and are zeroed by close(). */
  readonly state: VaultState;
  /** False for --no-passphrase vaults: anyone who can read the file can read the state. */
  readonly protected: boolean;
  readonly openedFrom: 'main' | 'previous';
  /** Saves a new state; its identity must be the vault's own (VaultStateError otherwise). */
  /**
   * Seal `newState` into the vault. With `forget`, no copy Sotto keeps may still hold what the
   * new state dropped: `.prev` is replaced by the new state too, `.damaged-*` copies and stray
   * temp files are removed, all before the promise resolves (docs/PROFILE.md "Deletion").
   */
  save(newState: VaultState, options?: SaveOptions): Promise<void>;
  /** Re-key with a new passphrase (null: remove protection) and save. */
  changePassphrase(newPassphrase: string | null, options?: VaultOptions): Promise<void>;
  /**
   * One conversation's saved history (docs/SEAMS.md §1): load (first use), append a change, read,
   * rewrite, shred. `state.history` holds no saved history after openVault: each conversation's
   * log is read by its `load()` when first needed (createVault, a migration: what it was given).
   */
  history(serviceId: string): ConversationHistory;
  /**
   * Every conversation's saved history at once (an export, tests): `state.history` with each log
   * not loaded yet read now (its `load()`; unreadable logs give none, see historyProblems).
   */
  loadAllHistory(): Promise<Record<string, readonly HistoryMessageRecord[]>>;
  /** Conversations with a saved log not loaded yet (their `load()` gives the saved history). */
  readonly unloadedHistory: ReadonlySet<string>;
  /** Logs found unreadable so far (their conversations start empty; see docs/PROFILE.md). */
  readonly historyProblems: readonly HistoryProblem[];
  /** 1 when this open converted a version-1 vault (history moved to logs). */
  readonly migratedFrom: 1 | undefined;
  /** Resolves when every history write started so far is on disk. */
  historySettled(): Promise<void>;
  /**
   * Zeroes the file key, the conversation keys and the identity bytes of `state`; later saves
   * throw VaultClosedError. Pending history writes finish with the logs' own key copies.
   */
  close(): void;
}

function seal(material: KeyMaterial, state: VaultState, refs: HistoryLogRefs): Uint8Array {
  const plaintext = encodeVaultState(state, refs);
  const nonce = new Uint8Array(randomBytes(NONCE_LENGTH));
  const header = encodeHeader({ kdf: material.kdf, nonce });
  const sealed = xchachaSeal(material.key, nonce, header, plaintext);
  plaintext.fill(0);
  const file = new Uint8Array(HEADER_LENGTH + sealed.length);
  file.set(header, 0);
  file.set(sealed, HEADER_LENGTH);
  return file;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Create a new vault at `path`; refuses to overwrite an existing vault (or its `.prev`). */
export async function createVault(
  path: string,
  passphrase: string | null,
  initialState: VaultState,
  options: VaultOptions = {},
): Promise<Vault> {
  if ((await exists(path)) || (await exists(previousVersionPath(path)))) {
    throw new VaultExistsError(path);
  }
  // The vault's own copy of the identity bytes (and of the history, written to new logs).
  const state = cloneVaultState(initialState, undefined, { withHistory: true });
  let material: KeyMaterial | undefined;
  let logs: HistoryLogs | undefined;
  try {
    material = await deriveNewKey(passphrase, options.scrypt ?? DEFAULT_SCRYPT_PARAMS);
    logs = await HistoryLogs.open(path, profileIdOf(state), new Map());
    await writeHistory(logs, state);
    await writeFileAtomic(path, seal(material, state, logs.refs), { keepPrevious: false });
  } catch (error) {
    material?.key.fill(0);
    await logs?.close();
    wipeIdentity(state.identity);
    wipeContactSecrets(state);
    throw error;
  }
  return makeVault(path, state, material, logs, { openedFrom: 'main' }, options);
}

/** Write `state.history` into new logs, before the vault that names them is sealed. */
async function writeHistory(logs: HistoryLogs, state: VaultState): Promise<void> {
  logs.connect({ persistRefs: () => Promise.resolve() }); // the vault is written after
  for (const [serviceId, messages] of Object.entries(state.history)) {
    if (messages.length > 0) await logs.history(serviceId).rewrite(messages);
  }
}

function withPrevFlag(error: unknown, prevAvailable: boolean): unknown {
  if (error instanceof VaultCorruptedError && prevAvailable && !error.previousVersionAvailable) {
    return new VaultCorruptedError(error.reason, error.message, true, { cause: error });
  }
  return error;
}

/**
 * Open and decrypt the vault. Never writes anything. Throws WrongPassphraseError (tag failure
 * with a passphrase: wrong passphrase or corrupted file), VaultCorruptedError, VaultVersionError,
 * VaultNotFoundError. A `null` passphrase opens only unprotected vaults.
 */
export async function openVault(
  path: string,
  passphrase: string | null,
  options: OpenVaultOptions = {},
): Promise<Vault> {
  const prevPath = previousVersionPath(path);
  const fromPrevious = options.usePreviousVersion === true;
  const prevAvailable = !fromPrevious && (await exists(prevPath));
  try {
    const { decoded, material } = await unsealVault(
      fromPrevious ? prevPath : path,
      passphrase,
      prevAvailable,
    );
    return await openWithHistory(path, decoded, material, fromPrevious, options);
  } catch (error) {
    throw withPrevFlag(error, prevAvailable);
  }
}

/**
 * Open the history logs the state names (format 2), or move a format-1 state's history into new
 * logs and seal the format-2 vault over it (migration: logs fsynced first, then the vault; the old
 * file is replaced only by a complete new one, then forgotten like a deletion).
 */
async function openWithHistory(
  path: string,
  decoded: DecodedVaultState,
  material: KeyMaterial,
  fromPrevious: boolean,
  options: VaultOptions,
): Promise<Vault> {
  const { state, historyLogs, stateVersion } = decoded;
  let logs: HistoryLogs;
  try {
    logs = await HistoryLogs.open(path, profileIdOf(state), historyLogs);
  } catch (error) {
    material.key.fill(0);
    wipeIdentity(state.identity);
    wipeContactSecrets(state);
    throw error;
  }
  const openedFrom = fromPrevious ? 'previous' : 'main';
  if (stateVersion === 2) {
    return makeVault(path, { ...state, history: {} }, material, logs, { openedFrom }, options);
  }
  try {
    await writeHistory(logs, state);
  } catch (error) {
    await logs.close();
    material.key.fill(0);
    wipeIdentity(state.identity);
    wipeContactSecrets(state);
    throw error;
  }
  const extra = { openedFrom, migratedFrom: 1 } as const;
  const vault = makeVault(path, state, material, logs, extra, options);
  try {
    await vault.save(state, { forget: true });
  } catch (error) {
    vault.close();
    throw error;
  }
  return vault;
}

/** Names of the `.damaged-*` copies of the vault at `path` (evidence of an earlier corruption). */
export async function damagedCopies(path: string): Promise<string[]> {
  const prefix = `${basename(path)}.damaged-`;
  const names = await readdir(dirname(path)).catch(() => [] as string[]);
  return names.filter((name) => name.startsWith(prefix)).map((name) => join(dirname(path), name));
}

/**
 * After a deletion: `.prev` (the state before it) becomes a second copy of the new state, so the
 * fallback still works and holds nothing deleted; `.damaged-*` copies (older states, readable
 * with the passphrase even when damaged) and stray temp files are removed; the directory is synced.
 */
async function forgetOlderCopies(path: string, sealedNow: Uint8Array): Promise<void> {
  await writeFileAtomic(previousVersionPath(path), sealedNow, { keepPrevious: false });
  for (const copy of await damagedCopies(path)) await unlink(copy).catch(() => undefined);
  await removeStrayTempFiles(path);
  await removeStrayTempFiles(previousVersionPath(path));
  await fsyncDirectory(dirname(path));
}

interface OpenedAs {
  readonly openedFrom: 'main' | 'previous';
  readonly migratedFrom?: 1;
}

function makeVault(
  path: string,
  initialState: VaultState,
  initialMaterial: KeyMaterial,
  logs: HistoryLogs,
  openedAs: OpenedAs,
  options: VaultOptions,
): Vault {
  const { openedFrom } = openedAs;
  let state = initialState;
  let material: KeyMaterial | null = initialMaterial;
  let isProtected = initialMaterial.kdf.name !== 'none';
  let pendingDamagedMove = openedFrom === 'previous';
  let chain: Promise<void> = Promise.resolve();

  const live = (): KeyMaterial => {
    if (material === null) throw new VaultClosedError();
    return material;
  };
  /** Seals `next` into the main file; returns the sealed file (a `forget` save copies it). */
  const write = async (next: VaultState, keys: KeyMaterial): Promise<Uint8Array> => {
    const sealed = seal(keys, next, logs.refs);
    if (pendingDamagedMove) {
      // Keep the damaged main file as evidence; keep the good .prev as it is.
      await rename(path, `${path}.damaged-${Date.now()}`).catch((error: unknown) => {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      });
      await writeFileAtomic(path, sealed, { keepPrevious: false });
      pendingDamagedMove = false;
    } else {
      await writeFileAtomic(path, sealed);
    }
    return sealed;
  };
  // Saves run one after another, so the file order matches the call order.
  const serial = (task: () => Promise<void>): Promise<void> => {
    const run = chain.then(task);
    chain = run.catch(() => undefined);
    return run;
  };

  const saveNow = async (next: VaultState, forget: boolean): Promise<void> => {
    const keys = live();
    let sealed: Uint8Array;
    try {
      sealed = await write(next, keys);
    } catch (error) {
      if (next !== state) wipeContactSecrets(next);
      throw error;
    }
    if (next !== state) {
      const previous = state;
      state = next;
      wipeContactSecrets(previous); // the vault's own copies of what the new state replaced
    }
    if (forget) await forgetOlderCopies(path, sealed); // the same file: no second seal
  };
  logs.connect({ persistRefs: (forget) => serial(() => saveNow(state, forget)) });

  return {
    path,
    openedFrom,
    get historyProblems() {
      return logs.problems;
    },
    unloadedHistory: logs.unloaded,
    loadAllHistory: async () => {
      const all: Record<string, readonly HistoryMessageRecord[]> = { ...state.history };
      for (const serviceId of [...logs.refs.keys()]) {
        const { messages } = await logs.history(serviceId).load();
        if (messages.length > 0) all[serviceId] = messages;
      }
      return all;
    },
    migratedFrom: openedAs.migratedFrom,
    history: (serviceId) => {
      const conversation = logs.history(serviceId);
      return {
        load: () => conversation.load(),
        append: (change) => conversation.append(change),
        read: () => conversation.read(),
        rewrite: (messages) => conversation.rewrite(messages),
        shred: async () => {
          await conversation.shred();
          // The copy loaded at open goes too: nothing deleted stays readable through the vault.
          const { [serviceId]: _dropped, ...rest } = state.history;
          state = { ...state, history: rest };
        },
        get recordCount() {
          return conversation.recordCount;
        },
      };
    },
    historySettled: () => logs.settled(),
    get state() {
      return state;
    },
    get protected() {
      return isProtected;
    },
    save: (newState, saveOptions = {}) =>
      serial(async () => {
        live(); // VaultClosedError before anything else
        // History is not saved here (it goes to the logs change by change): the loaded copy stays.
        const next = { ...cloneVaultState(newState, state.identity), history: state.history };
        await saveNow(next, saveOptions.forget === true);
      }),
    changePassphrase: (newPassphrase, changeOptions = {}) =>
      serial(async () => {
        const old = live();
        const params = changeOptions.scrypt ?? options.scrypt ?? DEFAULT_SCRYPT_PARAMS;
        const fresh = await deriveNewKey(newPassphrase, params);
        try {
          await write(state, fresh);
        } catch (error) {
          fresh.key.fill(0);
          throw error;
        }
        old.key.fill(0);
        if (old.kdf.name === 'none') old.kdf.key.fill(0);
        material = fresh;
        isProtected = fresh.kdf.name !== 'none';
        // The .prev copy is still sealed under the old key: remove it so the old passphrase no
        // longer opens anything (unlinking does not scrub the disk blocks).
        await unlink(previousVersionPath(path)).catch(() => undefined);
        await fsyncDirectory(dirname(path));
      }),
    close: () => {
      if (material === null) return;
      material.key.fill(0);
      if (material.kdf.name === 'none') material.kdf.key.fill(0);
      material = null;
      wipeIdentity(state.identity);
      wipeContactSecrets(state);
      void logs.close(); // zeroes the conversation keys now; the logs' own copies after their writes
    },
  };
}
