// Dialog before going dark (issue 13): lists the contacts who can reach us only on our identity
// onion — Ricochet Refresh contacts and Sotto contacts without an endpoint yet — because they will
// not reach us while it is dark; y/Enter goes dark, n/Esc stays open. Names are the contact list's
// (already sanitised for the terminal).
import { Text, useInput } from 'ink';
import { findBinding } from '../keymap.js';
import { useTone } from '../theme.js';
import { DialogFrame } from './DialogFrame.js';

export interface GoDarkProps {
  /** Display names of the identity-only contacts (sanitised). */
  readonly identityOnly: readonly string[];
  /** Lines the list may take before it says "and N more". */
  readonly maxNames: number;
  readonly onConfirm: () => void;
  readonly onCancel: () => void;
}

export function GoDark(props: Readonly<GoDarkProps>) {
  const tone = useTone();
  useInput((input, key) => {
    const action = findBinding('go-dark', input, key);
    if (action === 'confirm-dark') props.onConfirm();
    else if (action === 'cancel') props.onCancel();
  });
  const shown = props.identityOnly.slice(0, Math.max(1, props.maxNames));
  const more = props.identityOnly.length - shown.length;
  return (
    <DialogFrame title="Go dark?" hint="y / Enter go dark · n / Esc stay open">
      <Text wrap="wrap">
        Your ID goes offline: strangers cannot reach it or tell whether you are online, and no new
        contact requests arrive. Sotto still connects to your contacts when they are online.
      </Text>
      {props.identityOnly.length === 0 ? (
        <Text color={tone('good')}>Every contact can still reach you.</Text>
      ) : (
        <>
          <Text color={tone('warn')} wrap="wrap">
            They will not reach you while dark (they can only use your ID: Ricochet Refresh, or no
            endpoint yet):
          </Text>
          {shown.map((name, i) => (
            <Text key={i} wrap="truncate-end">
              {'  '}◇ {name}
            </Text>
          ))}
          {more > 0 ? <Text>{`  …and ${more} more`}</Text> : null}
        </>
      )}
      <Text color={tone('muted')}>o later opens your ID for 30 minutes to accept requests.</Text>
    </DialogFrame>
  );
}
