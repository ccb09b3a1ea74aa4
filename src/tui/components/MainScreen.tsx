// The main layout for 80×24 and up: contact list on the left, the conversation and the composer
// on the right.
import { Box } from 'ink';
import { selectedContact } from '../state/contacts.js';
import type { UiState } from '../state/types.js';
import { COMPOSER_TEXT_LINES, Composer } from './Composer.js';
import { ContactList } from './ContactList.js';
import { Conversation } from './Conversation.js';

export const CONTACT_LIST_WIDTH = 24;
const COMPOSER_HEIGHT = COMPOSER_TEXT_LINES + 2; // separator + text + counter line

export interface MainScreenProps {
  readonly state: UiState;
  readonly width: number;
  readonly height: number;
  readonly now: number;
}

/** Lines available for messages at this screen height. */
export function conversationHeight(height: number): number {
  return Math.max(1, height - COMPOSER_HEIGHT - 1);
}

export function MainScreen(props: Readonly<MainScreenProps>) {
  const { state } = props;
  const contact = selectedContact(state);
  const rightWidth = Math.max(20, props.width - CONTACT_LIST_WIDTH - 1);
  const messages = contact === null ? [] : (state.conversations[contact.address]?.messages ?? []);
  return (
    <Box flexDirection="row" height={props.height}>
      <ContactList
        contacts={state.contacts}
        requests={state.requests}
        selected={state.selected}
        {...(state.identity === null ? {} : { identityOnly: state.identity.identityOnly })}
        focused={state.focus === 'contacts'}
        width={CONTACT_LIST_WIDTH}
        height={props.height}
      />
      <Box flexDirection="column" marginLeft={1} width={rightWidth}>
        <Conversation
          contact={contact}
          messages={messages}
          scrollBack={state.scrollBack}
          width={rightWidth}
          height={conversationHeight(props.height)}
          now={props.now}
        />
        <Composer
          composer={state.composer}
          focused={state.focus === 'composer'}
          recipient={contact?.address ?? null}
          width={rightWidth}
        />
      </Box>
    </Box>
  );
}
