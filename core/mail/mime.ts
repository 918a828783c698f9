/** The one wrapper around `mimetext`: an email as the raw MIME text the `send_email` binding takes. */
import { createMimeMessage } from 'mimetext';
import type { Email } from './templates';

/** A multipart/alternative message (text, then HTML) whose Message-ID carries the outbox id. */
export function mimeOf(from: { name: string; address: string }, id: string, email: Email): string {
  const message = createMimeMessage();
  message.setSender({ name: from.name, addr: from.address });
  message.setRecipient(email.to);
  message.setSubject(email.subject);
  message.setHeader('Message-ID', `<${id}@${from.address.split('@')[1]}>`);
  message.addMessage({ contentType: 'text/plain', data: email.text });
  message.addMessage({ contentType: 'text/html', data: email.html });
  return message.asRaw();
}
