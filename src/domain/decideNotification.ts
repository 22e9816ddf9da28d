import type { CreateCase } from './commands.js';
import { idFor } from './deterministicId.js';
import type { NotificationRequired } from './events.js';
import type { NotificationRule } from './notificationRule.js';

/** The trigger a new case raises: `CASE_CREATED_<KYC|KYB>_<CASE TYPE>`, upper-cased, `-` as `_`. */
export const caseCreatedTrigger = (cmd: CreateCase): string =>
  `CASE_CREATED_${cmd.message.traitement_type}_${cmd.message.type}`.toUpperCase().replace(/-/g, '_');

/** What the Configuration Service is told about the case when asked for a rule. */
export const ruleContext = (cmd: CreateCase) => ({
  case_id: cmd.case_id,
  client_id: cmd.message.client_id,
  traitement_type: cmd.message.traitement_type,
  case_type: cmd.message.type,
});

/**
 * The NotificationRequired event an active rule asks for, appended after the case's last version.
 * Its id depends on the message and trigger only, so it is recorded once however often it is decided.
 */
export const decideNotification = (cmd: CreateCase, rule: NotificationRule, afterVersion: number): NotificationRequired => {
  const first = cmd.message.persons[0];
  return {
    event_id: idFor(cmd.key, 'notification', caseCreatedTrigger(cmd)),
    event_type: 'NotificationRequired',
    aggregate_id: cmd.case_id,
    timestamp: cmd.timestamp,
    version: afterVersion + 1,
    payload: {
      notification_type: rule.notification_type,
      recipient_details: {
        case_id: cmd.case_id,
        client_id: cmd.message.client_id,
        ...(first ? { primary_contact_name: `${first.firstname} ${first.lastname}` } : {}),
      },
      template_id: rule.template_id,
      language_code: rule.language_code,
      context_data: {
        case_id: cmd.case_id,
        client_name: first?.firstname || 'N/A',
        case_type: cmd.message.type,
        traitement_type: cmd.message.traitement_type,
      },
    },
    metadata: { correlation_id: cmd.key, causation_id: cmd.command_id },
  };
};
