// The medical assistant's page: sign in with Cognito, ask the API, show the answer and its sources, send
// feedback. No framework, no build step, no dependency. The ID token lives in this module's memory only
// (never localStorage or sessionStorage, never a cookie), and nothing here logs a question or an answer.
// The API's contract: docs/assistant.md.

const $ = (id) => document.getElementById(id);

const state = { config: null, idToken: null, expiresAt: 0, feedbackToken: null };

const MESSAGES = {
  400: "The question could not be sent: it must be 1 to 2000 characters of text.",
  401: "Your session has ended. Please sign in again.",
  403: "This page is not allowed to use the assistant (its API key or your feedback link was refused).",
  413: "The question is too long: keep it under 2000 characters.",
  429: "Too many questions at once. Please wait a moment and try again.",
  502: "The assistant could not produce an answer just now. Please try again shortly.",
  503: "The assistant is busy. Please try again in a minute.",
  504: "The assistant took too long to answer. Please try again.",
};

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function messageFor(error) {
  if (error instanceof ApiError && error.status > 0) {
    if (MESSAGES[error.status]) return MESSAGES[error.status];
    if (error.status >= 500) return "The assistant is unavailable right now. Please try again later.";
    return `The request failed (${error.status}).`;
  }
  return "The assistant could not be reached. Check your connection and try again.";
}

function showError(text) {
  const box = $("error");
  box.textContent = text;
  box.hidden = !text;
}

function setStatus(text) {
  $("status").textContent = text;
}

function show(section) {
  $("signin").hidden = section !== "signin";
  $("ask").hidden = section !== "ask";
  if (section !== "ask") $("answer").hidden = true;
}

function busy(form, on) {
  for (const control of form.querySelectorAll("button, input, textarea")) control.disabled = on;
}

async function postJson(url, body, headers) {
  let response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json", ...headers },
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new ApiError(0, "network");
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) throw new ApiError(response.status, (data && data.message) || response.statusText);
  return data;
}

// -- Cognito: InitiateAuth with USER_PASSWORD_AUTH against the public app client (no secret) ----------------
async function signIn(username, password) {
  let response;
  try {
    response = await fetch(state.config.cognito_endpoint, {
      method: "POST",
      headers: {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": "AWSCognitoIdentityProviderService.InitiateAuth",
      },
      body: JSON.stringify({
        AuthFlow: "USER_PASSWORD_AUTH",
        ClientId: state.config.user_pool_client_id,
        AuthParameters: { USERNAME: username, PASSWORD: password },
      }),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
  } catch {
    throw new Error("The sign-in service could not be reached. Check your connection and try again.");
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    const kind = String(data.__type || "").split("#").pop();
    if (kind === "NotAuthorizedException" || kind === "UserNotFoundException")
      throw new Error("Incorrect username or password.");
    if (kind === "PasswordResetRequiredException") throw new Error("Your password must be reset first.");
    if (kind === "TooManyRequestsException" || response.status === 429)
      throw new Error("Too many sign-in attempts. Please wait a moment and try again.");
    throw new Error("Sign-in failed. Please try again later.");
  }
  if (data.ChallengeName || !data.AuthenticationResult) {
    throw new Error("Your account needs a step this page does not offer (such as a new password); contact your administrator.");
  }
  state.idToken = data.AuthenticationResult.IdToken;
  state.expiresAt = Date.now() + (Number(data.AuthenticationResult.ExpiresIn) || 3600) * 1000;
}

function signOut(message) {
  state.idToken = null;
  state.expiresAt = 0;
  state.feedbackToken = null;
  $("question").value = "";
  show("signin");
  setStatus(message || "Signed out.");
  $("username").focus();
}

function authorized() {
  if (state.idToken && Date.now() < state.expiresAt - 30000) return true;
  signOut(MESSAGES[401]);
  return false;
}

function apiHeaders() {
  return { Authorization: state.idToken, "x-api-key": state.config.api_key };
}

// -- the answer -------------------------------------------------------------------------------------------
function safeUrl(url) {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
  } catch {
    return null;
  }
}

function renderAnswer(data) {
  $("answer-text").textContent = data.answer || "";
  const list = $("sources");
  list.replaceChildren();
  for (const source of data.sources || []) {
    const item = document.createElement("li");
    item.dataset.passage = source.id || "";
    const href = safeUrl(source.url);
    const title = document.createElement(href ? "a" : "span");
    title.className = "title";
    title.textContent = source.title || source.id || "Untitled passage";
    if (href) {
      title.href = href;
      title.rel = "noopener noreferrer";
      title.target = "_blank";
    }
    const origin = document.createElement("span");
    origin.className = "source";
    origin.textContent = source.source ? ` — ${source.source}` : "";
    item.append(title, origin);
    list.append(item);
  }
  if (!list.children.length) {
    const item = document.createElement("li");
    item.textContent = "No passage was cited.";
    list.append(item);
  }
  $("disclaimer").textContent = data.disclaimer || "";
  state.feedbackToken = data.feedback_token || null;
  for (const button of [$("helpful"), $("not-helpful")]) {
    button.disabled = !state.feedbackToken;
    button.setAttribute("aria-pressed", "false");
  }
  $("feedback-status").textContent = "";
  $("feedback-status").className = "status";
  const section = $("answer");
  section.hidden = false;
  section.focus();
}

async function onAsk(event) {
  event.preventDefault();
  showError("");
  const form = event.currentTarget;
  const question = $("question").value.trim();
  if (!question) {
    showError("Type a question first.");
    $("question").focus();
    return;
  }
  if (question.length > 2000) {
    showError(MESSAGES[413]);
    $("question").focus();
    return;
  }
  if (!authorized()) return;
  busy(form, true);
  setStatus("Looking for an answer…");
  try {
    const data = await postJson(`${state.config.api_url}/ask`, { question }, apiHeaders());
    renderAnswer(data);
    setStatus("Answer received.");
  } catch (error) {
    setStatus("");
    if (error instanceof ApiError && error.status === 401) {
      signOut(MESSAGES[401]);
      showError(MESSAGES[401]);
    } else {
      showError(messageFor(error));
    }
  } finally {
    busy(form, false);
  }
}

async function onFeedback(event) {
  const button = event.currentTarget;
  const helpful = button.dataset.helpful === "true";
  showError("");
  if (!state.feedbackToken || !authorized()) return;
  const buttons = [$("helpful"), $("not-helpful")];
  for (const b of buttons) b.disabled = true;
  const status = $("feedback-status");
  status.textContent = "Sending your feedback…";
  try {
    await postJson(
      `${state.config.api_url}/feedback`,
      { feedback_token: state.feedbackToken, helpful },
      apiHeaders(),
    );
    for (const b of buttons) b.setAttribute("aria-pressed", String(b === button));
    status.textContent = helpful ? "Thank you: recorded as helpful." : "Thank you: recorded as not helpful.";
    status.className = "status recorded";
  } catch (error) {
    status.textContent = "";
    if (error instanceof ApiError && error.status === 401) {
      signOut(MESSAGES[401]);
      showError(MESSAGES[401]);
      return;
    }
    showError(
      error instanceof ApiError && error.status === 403
        ? "This feedback link has expired or belongs to another session; ask the question again to rate it."
        : messageFor(error),
    );
  } finally {
    for (const b of buttons) b.disabled = !state.feedbackToken;
  }
}

async function onSignIn(event) {
  event.preventDefault();
  showError("");
  const form = event.currentTarget;
  const username = $("username").value.trim();
  const password = $("password").value;
  if (!username || !password) {
    showError("Enter your username and password.");
    (username ? $("password") : $("username")).focus();
    return;
  }
  busy(form, true);
  setStatus("Signing in…");
  try {
    await signIn(username, password);
    $("password").value = "";
    show("ask");
    setStatus(`Signed in as ${username}.`);
    $("question").focus();
  } catch (error) {
    setStatus("");
    showError(error.message);
    $("password").focus();
  } finally {
    busy(form, false);
  }
}

async function loadConfig() {
  const response = await fetch("config.json", { cache: "no-store", credentials: "same-origin" });
  if (!response.ok) throw new Error(`config.json: ${response.status}`);
  const config = await response.json();
  for (const key of ["region", "cognito_endpoint", "user_pool_client_id", "api_url", "api_key"]) {
    if (typeof config[key] !== "string" || !config[key]) throw new Error(`config.json lacks ${key}`);
  }
  config.api_url = config.api_url.replace(/\/+$/, "");
  return config;
}

async function start() {
  $("signin-form").addEventListener("submit", onSignIn);
  $("ask-form").addEventListener("submit", onAsk);
  $("signout").addEventListener("click", () => signOut());
  $("helpful").addEventListener("click", onFeedback);
  $("not-helpful").addEventListener("click", onFeedback);
  try {
    state.config = await loadConfig();
  } catch {
    setStatus("");
    showError("The page is not configured (config.json could not be read). Please contact the site's operators.");
    return;
  }
  show("signin");
  setStatus("Please sign in to ask a question.");
  document.documentElement.dataset.ready = "true";
}

start();
