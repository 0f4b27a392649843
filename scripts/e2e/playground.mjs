// Drives Model Lab's Playground webview (element ids: webview/README.md) for the e2e tests and the screenshots.

/** Opens "Sampling settings" (a vscode-collapsible; its header is in its shadow DOM) until its fields show. */
export async function openSamplingSettings(frame) {
  for (let i = 0; i < 3 && !(await frame.locator('#max-tokens').isVisible()); i++) {
    await frame.locator('#settings .collapsible-header').click();
    await frame.waitForTimeout(300);
  }
  return frame.locator('#max-tokens').isVisible();
}

/**
 * Picks the model whose option contains `modelName`, fills the prompt and sampling fields, clicks Generate and
 * waits until the generation has ended. Returns { tokens, output, error, seconds, stopReason }.
 * @returns {Promise<{ tokens: number, output: string, error: string, seconds: number, stopReason: string | null }>}
 */
export async function generateInPlayground(frame, { modelName, prompt, mode = 'complete', maxTokens = 16, seed = 1, timeoutMs = 120_000 }) {
  await frame.locator('body[data-ready="true"]').waitFor({ timeout: 30_000 });
  const options = await frame.locator('#model-select option').allTextContents();
  const option = options.find((o) => o.includes(modelName));
  if (!option) throw new Error(`the Playground does not offer ${modelName}: ${JSON.stringify(options)}`);
  await frame.locator('#model-select').selectOption({ label: option });
  await frame.locator('#mode').selectOption(mode);
  if (!(await openSamplingSettings(frame))) throw new Error('the sampling settings do not open');
  await frame.locator('#max-tokens').fill(String(maxTokens));
  await frame.locator('#seed').fill(String(seed));
  await frame.locator('#prompt').fill(prompt);
  const t = Date.now();
  await frame.locator('#generate').click();
  const deadline = Date.now() + timeoutMs;
  let tokens = 0;
  let error = '';
  while (Date.now() < deadline) {
    tokens = Number(await frame.locator('#token-count').textContent());
    error = (await frame.locator('#error').isVisible()) ? ((await frame.locator('#error').textContent()) ?? '').trim() : '';
    // every generation ends with a stop reason (body[data-stop-reason]), even one of 0 tokens
    const body = frame.locator('body');
    if (error || ((await body.getAttribute('data-running')) === 'false' && (await body.getAttribute('data-stop-reason')) !== null)) break;
    await frame.waitForTimeout(300);
  }
  const output = ((await frame.locator('#output').textContent()) ?? '');
  const stopReason = await frame.locator('body').getAttribute('data-stop-reason');
  return { tokens, output, error, seconds: (Date.now() - t) / 1000, stopReason };
}
