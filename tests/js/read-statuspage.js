// Reads every Statuspage v2 endpoint of a site with the statuspage.io client and prints what it read,
// and the status a client computes from it, as JSON. Usage: node read.js BASE_URL
"use strict";
const { Statuspage } = require("statuspage.io");

const COMPONENTS = ["operational", "under_maintenance", "degraded_performance", "partial_outage", "major_outage"];
const INDICATORS = ["none", "maintenance", "minor", "major", "critical"];

async function main(base) {
  const client = new Statuspage("mimctl"); // a page id is required; the URL below replaces its host
  client.setApiUrl(base);
  const api = client.api;
  const read = {
    status: await api.getStatus(),
    summary: await api.getSummary(),
    components: await api.getComponents(),
    incidents: await api.incidents.getAll(),
    unresolved: await api.incidents.getUnresolved(),
    upcoming: await api.scheduledMaintenances.getUpcoming(),
    // statuspage.io 3.3.8 asks upcoming.json for these two; ask their own files with its HTTP client too.
    activeByClient: await api.scheduledMaintenances.getActive(),
    allByClient: await api.scheduledMaintenances.getAll(),
    active: (await client.apiClient.get("/api/v2/scheduled-maintenances/active.json")).data,
    all: (await client.apiClient.get("/api/v2/scheduled-maintenances.json")).data,
  };
  // What a status client concludes: the worst component, and the worst unresolved incident's impact.
  let worst = 0;
  for (const component of read.components.components) {
    if (!component.group) worst = Math.max(worst, COMPONENTS.indexOf(component.status));
  }
  let indicator = INDICATORS[worst];
  for (const incident of read.unresolved.incidents) {
    if (INDICATORS.indexOf(incident.impact) > INDICATORS.indexOf(indicator)) indicator = incident.impact;
  }
  const components = {};
  for (const component of read.summary.components) components[component.name] = component.status;
  return { read, computed: { indicator, components, unresolved: read.unresolved.incidents.map((i) => i.id) } };
}

main(process.argv[2]).then(
  (out) => process.stdout.write(JSON.stringify(out)),
  (error) => {
    process.stderr.write(`${error && error.stack ? error.stack : error}\n`);
    process.exit(1);
  },
);
