// Reads an .ics on stdin with ical.js and prints what a calendar would take from its VEVENT.
import ICAL from "ical.js";

let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", () => {
  const calendar = new ICAL.Component(ICAL.parse(input));
  const events = calendar.getAllSubcomponents("vevent");
  if (events.length !== 1) throw new Error(`${events.length} VEVENTs`);
  const event = new ICAL.Event(events[0]);
  process.stdout.write(
    JSON.stringify({
      uid: event.uid,
      sequence: event.sequence,
      summary: event.summary,
      start: event.startDate.toString(),
      attendees: event.attendees.map((a) => a.getFirstValue()),
    }),
  );
});
