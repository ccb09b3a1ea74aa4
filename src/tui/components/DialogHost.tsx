// Draws the dialog on top of the stack and wires its choices to core commands and UI actions.
import type { CoreCommand } from '../../api/core-api.js';
import type { UiAction } from '../state/actions.js';
import type { Dialog, UiState } from '../state/types.js';
import { AddContact } from './AddContact.js';
import { ContactActions } from './ContactActions.js';
import { displayName } from './ContactList.js';
import { FileOffer } from './FileOffer.js';
import { GoDark } from './GoDark.js';
import { HelpOverlay } from './HelpOverlay.js';
import { IncomingRequest } from './IncomingRequest.js';
import { Notice } from './Notice.js';
import { SendFile } from './SendFile.js';
import { ShareId } from './ShareId.js';
import { Transfers } from './Transfers.js';

export interface DialogHostProps {
  readonly dialog: Dialog;
  readonly state: UiState;
  readonly dispatch: (action: UiAction) => void;
  readonly command: (command: CoreCommand) => void;
  readonly now: number;
  readonly height: number;
}

export function DialogHost(props: Readonly<DialogHostProps>) {
  const { dialog, state, dispatch, command } = props;
  const close = () => dispatch({ type: 'close-dialog' });
  const nameOf = (address: string) =>
    displayName(state.contacts.find((c) => c.address === address)?.nickname ?? '', address);
  switch (dialog.kind) {
    case 'help':
      return <HelpOverlay onClose={close} height={props.height} />;
    case 'share':
      return <ShareId address={state.ownAddress} onClose={close} />;
    case 'go-dark': {
      const only = state.identity?.identityOnly ?? new Set<string>();
      const names = state.contacts
        .filter((c) => only.has(c.address))
        .map((c) => displayName(c.nickname, c.address));
      return (
        <GoDark
          identityOnly={names}
          maxNames={Math.max(1, props.height - 10)}
          onConfirm={() => {
            command({ type: 'set-identity-online', mode: 'dark' });
            close();
          }}
          onCancel={close}
        />
      );
    }
    case 'add':
      return (
        <AddContact
          ownAddress={state.ownAddress}
          ownNickname={state.ownNickname}
          onCancel={close}
          onSubmit={(request, ownNickname) => {
            // First the nickname, so that this very request carries it.
            if (ownNickname !== state.ownNickname) {
              command({ type: 'set-nickname', nickname: ownNickname });
            }
            command({ type: 'add', ...request });
            close();
          }}
        />
      );
    case 'request': {
      const request = state.requests.find((r) => r.address === dialog.address);
      if (request === undefined)
        return <Notice text="This request was already answered." onClose={close} />;
      const resolve = (cmd: CoreCommand) => {
        command(cmd);
        dispatch({ type: 'request-resolved', address: request.address });
        // The core's list is the truth: a request it refused to resolve shows again.
        command({ type: 'requests' });
      };
      return (
        <IncomingRequest
          request={request}
          now={props.now}
          onAccept={(nickname) => resolve({ type: 'accept', address: request.address, nickname })}
          onReject={() => resolve({ type: 'reject', address: request.address })}
          onBlock={() => resolve({ type: 'block', address: request.address })}
          onClose={close}
        />
      );
    }
    case 'send-file':
      return (
        <SendFile
          recipient={nameOf(dialog.address)}
          onCancel={close}
          onSubmit={(path) => {
            command({ type: 'send-file', address: dialog.address, path });
            close();
          }}
        />
      );
    case 'file-offer': {
      const transfer = state.transfers.find((t) => t.key === dialog.key);
      if (transfer === undefined) return <Notice text="This file offer is gone." onClose={close} />;
      const target = { address: transfer.address, fileId: transfer.fileId };
      return (
        <FileOffer
          transfer={transfer}
          from={nameOf(transfer.address)}
          onAccept={() => {
            command({ type: 'accept-file', ...target });
            close();
          }}
          onReject={() => {
            command({ type: 'reject-file', ...target });
            close();
          }}
          onClose={close}
        />
      );
    }
    case 'transfers':
      return (
        <Transfers
          transfers={state.transfers}
          nameOf={nameOf}
          onAccept={(t) => command({ type: 'accept-file', address: t.address, fileId: t.fileId })}
          onReject={(t) => command({ type: 'reject-file', address: t.address, fileId: t.fileId })}
          onCancelTransfer={(t) =>
            command({ type: 'cancel-file', address: t.address, fileId: t.fileId })
          }
          onOpen={(t) => {
            if (t.state === 'offered' && t.direction === 'in') {
              dispatch({ type: 'open-dialog', dialog: { kind: 'file-offer', key: t.key } });
            }
          }}
          onClose={close}
        />
      );
    case 'actions': {
      const contact = state.contacts.find((c) => c.address === dialog.address);
      if (contact === undefined) return <Notice text="This contact is gone." onClose={close} />;
      const failedIds = (state.conversations[contact.address]?.messages ?? []).flatMap((m) =>
        m.direction === 'out' && m.state === 'failed' && m.id !== null ? [m.id] : [],
      );
      return (
        <ContactActions
          contact={contact}
          failedIds={failedIds}
          onCommand={command}
          onClose={close}
        />
      );
    }
  }
}
