// kapstone's FHIR API read by a client library kapstone did not write
// (fhir-kit-client, pinned in package-lock.json). cmd/kapstone's
// TestFHIRClientLibrary runs it against a real server:
//
//   node client.mjs BASE TOKEN PATIENT
//
// BASE is the FHIR base URL (http://127.0.0.1:PORT/fhir), TOKEN a personal
// API token, PATIENT a patient id the token may read. It reads the
// patient, searches the patient's PHQ-9 totals (LOINC 44261-6) by code and
// a date range, newest first, two to a page, follows the next links to the
// end, reads a patient that does not exist, and prints what it saw as one
// JSON object on standard output.
import { Client } from 'fhir-kit-client';

const [base, token, patient] = process.argv.slice(2);
if (!base || !token || !patient) {
  console.error('usage: node client.mjs BASE TOKEN PATIENT');
  process.exit(2);
}
const client = new Client({ baseUrl: base, bearerToken: token });
const out = {};

const p = await client.read({ resourceType: 'Patient', id: patient });
out.patient = { resourceType: p.resourceType, id: p.id };

const metadata = await client.capabilityStatement();
out.fhirVersion = metadata.fhirVersion;

let bundle = await client.search({
  resourceType: 'Observation',
  searchParams: { patient, code: 'http://loinc.org|44261-6', date: ['ge2000-01-01', 'lt2100-01-01'], _sort: '-date', _count: 2 },
});
out.total = bundle.total;
out.pages = 0;
out.entries = [];
while (bundle) {
  out.pages++;
  for (const e of bundle.entry ?? []) {
    const r = e.resource;
    out.entries.push({ id: r.id, code: r.code?.coding?.[0]?.code, date: r.effectiveDateTime, value: r.valueQuantity?.value });
  }
  bundle = await client.nextPage({ bundle });
}

try {
  await client.read({ resourceType: 'Patient', id: 'no-such-patient' });
  out.missing = 200;
} catch (e) {
  out.missing = e.response?.status;
  out.missingType = e.response?.data?.resourceType;
}

console.log(JSON.stringify(out));
