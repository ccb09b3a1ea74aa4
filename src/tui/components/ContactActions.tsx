// Dialog: what can be done with one contact — rename, retry now, history on/off, clear history,
// block/unblock, remove; destructive actions ask for confirmation first.
import { Text, useInput } from 'ink';
import { useState } from 'react';
import type { CoreCommand } from '../../api/core-api.js';
import { findBinding } from '../keymap.js';
import { nicknameProblem } from '../validate.js';
import type { ContactEntry } from '../state/types.js';
import { useTone } from '../theme.js';
import { displayName } from './ContactList.js';
import { DialogFrame } from './DialogFrame.js';
import { TextInput } from './TextInput.js';

export interface ContactActionsProps {
  readonly contact: ContactEntry;
  /** Local ids of our messages to this contact that failed (offered for retry). */
  readonly failedIds: readonly number[];
  readonly onCommand: (command: CoreCommand) => void;
  readonly onClose: () => void;
}

interface ActionItem {
  readonly label: string;
  readonly confirm?: string;
  readonly rename?: true;
  readonly commands?: readonly CoreCommand[];
}

export function actionItems(
  contact: ContactEntry,
  failedIds: readonly number[] = [],
): readonly ActionItem[] {
  const address = contact.address;
  const retryFailed: ActionItem[] =
    failedIds.length === 0
      ? []
      : [
          {
            label: `Resend ${failedIds.length} failed message(s)`,
            commands: failedIds.map((id): CoreCommand => ({ type: 'retry-message', address, id })),
          },
        ];
  return [
    { label: 'Rename', rename: true },
    { label: 'Retry connecting now', commands: [{ type: 'retry', address }] },
    ...retryFailed,
    {
      label: contact.historyEnabled ? 'Turn history off (keep nothing on disk)' : 'Turn history on',
      commands: [{ type: 'history', address, enabled: !contact.historyEnabled }],
    },
    {
      label: 'Clear history',
      confirm: 'Delete the saved history with this contact?',
      commands: [{ type: 'clear-history', address }],
    },
    contact.status === 'blocked'
      ? { label: 'Unblock', commands: [{ type: 'unblock', address }] }
      : { label: 'Block', confirm: 'Block this contact?', commands: [{ type: 'block', address }] },
    {
      label: 'Remove contact',
      confirm: 'Remove this contact?',
      commands: [{ type: 'remove', address }],
    },
  ];
}

export function ContactActions(props: Readonly<ContactActionsProps>) {
  const tone = useTone();
  const items = actionItems(props.contact, props.failedIds);
  const [index, setIndex] = useState(0);
  const [confirming, setConfirming] = useState<ActionItem | null>(null);
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(props.contact.nickname);

  const run = (item: ActionItem) => {
    for (const command of item.commands ?? []) props.onCommand(command);
    props.onClose();
  };

  useInput((input, key) => {
    const action = findBinding('actions', input, key) ?? findBinding('dialog', input, key);
    if (confirming !== null) {
      if (input === 'y') run(confirming);
      else if (input === 'n' || action === 'cancel') setConfirming(null);
      return;
    }
    if (renaming) {
      if (action === 'cancel') setRenaming(false);
      else if (action === 'submit' && nicknameProblem(name) === null) {
        props.onCommand({ type: 'rename', address: props.contact.address, nickname: name.trim() });
        props.onClose();
      }
      return;
    }
    if (action === 'cancel') props.onClose();
    else if (action === 'up') setIndex((i) => Math.max(0, i - 1));
    else if (action === 'down') setIndex((i) => Math.min(items.length - 1, i + 1));
    else if (action === 'submit') {
      const item = items[index];
      if (item === undefined) return;
      if (item.rename) setRenaming(true);
      else if (item.confirm !== undefined) setConfirming(item);
      else run(item);
    }
  });

  const title = `Contact: ${displayName(props.contact.nickname, props.contact.address)}`;
  if (confirming !== null) {
    return (
      <DialogFrame title={title} hint="y yes · n no">
        <Text color={tone('warn')}>{confirming.confirm} (y/n)</Text>
      </DialogFrame>
    );
  }
  if (renaming) {
    return (
      <DialogFrame title={title} hint="Enter save · Esc back">
        <TextInput label="New nickname" value={name} onChange={setName} focused maxLength={64} />
        {nicknameProblem(name) === null ? null : (
          <Text color={tone('bad')}>✗ {nicknameProblem(name)}</Text>
        )}
      </DialogFrame>
    );
  }
  return (
    <DialogFrame title={title} hint="↑↓ choose · Enter do it · Esc close">
      <Text color={tone('muted')}>{props.contact.address}</Text>
      {props.contact.lastError === undefined ? null : (
        <Text>Last error: {props.contact.lastError}</Text>
      )}
      {items.map((item, i) => (
        <Text key={item.label}>
          {i === index ? '> ' : '  '}
          {item.label}
        </Text>
      ))}
    </DialogFrame>
  );
}
