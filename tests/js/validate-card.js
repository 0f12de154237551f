// Reads a JSON array of Teams messages on stdin and prints, for each, the problems
// the adaptivecards library finds: parse events, validation events, the version it
// parsed, and properties it dropped (unknown to it, so Teams would ignore them).
"use strict";
const AC = require("adaptivecards/dist/adaptivecards.js");

const HOST_KEYS = new Set(["$schema", "msteams"]); // the card-level extensions Teams reads itself

function problemsOf(message) {
  const problems = [];
  const attachments = message.attachments || [];
  for (const attachment of attachments) {
    const json = attachment.content;
    const card = new AC.AdaptiveCard();
    const context = new AC.SerializationContext();
    card.parse(json, context);
    for (let i = 0; i < context.eventCount; i++) {
      const event = context.getEventAt(i);
      problems.push(`parse: ${AC.ValidationEvent[event.event]}: ${event.message}`);
    }
    for (const event of card.validateProperties().validationEvents) {
      problems.push(`validate: ${AC.ValidationEvent[event.event]}: ${event.message}`);
    }
    const out = card.toJSON() || {};
    if (String(card.version) !== String(json.version)) {
      problems.push(`version: parsed as ${card.version}, the card says ${json.version}`);
    }
    for (const key of Object.keys(json)) {
      if (!HOST_KEYS.has(key) && !(key in out)) problems.push(`card.${key}: dropped by the parser`);
    }
    (json.body || []).forEach((element, index) => {
      const parsed = (out.body || [])[index] || {};
      for (const key of Object.keys(element)) {
        if (!(key in parsed)) problems.push(`body[${index}].${key}: dropped by the parser`);
      }
    });
  }
  return problems;
}

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const messages = JSON.parse(input);
  process.stdout.write(JSON.stringify(messages.map(problemsOf)));
});
