// The simulator's SMTP sink, read through its inbox API.

const SIM = process.env.E2E_SIM_URL || 'http://127.0.0.1:9200';

/** The newest email to `to` with `subject` in the simulator's inbox, waiting for it. */
export async function newestMail(to, subject) {
  for (let i = 0; i < 100; i += 1) {
    const response = await fetch(`${SIM}/mail/api/messages?to=${encodeURIComponent(to)}`);
    const { messages } = await response.json();
    const found = messages.find((m) => m.subject === subject);
    if (found) return found;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  throw new Error(`no email "${subject}" to ${to}`);
}
