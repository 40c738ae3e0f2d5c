"""The page's CSS and script: layout for laptop and phone, citation previews, clicks inside app markup."""

CSS = """
/* Gradio's own progress captions ("processing | 0.4s") are English: the app shows progress in the page's language. */
.progress-text, .meta-text, .meta-text-center { display: none !important; }
footer { display: none !important; }
.rag-hidden { display: none !important; }
#rag-k input[type=number], #rag-k .reset-button { display: none !important; }
#rag-status .rag-status { font-size: 0.9em; padding: 6px 10px; border-radius: 6px; background: var(--block-background-fill); }
.rag-warning, .rag-error { color: #b45309; }
.rag-refused { color: #b91c1c; font-weight: 600; }
.rag-jump { display: none; margin-left: 6px; }
.rag-sources { display: flex; flex-direction: column; gap: 8px; max-height: 560px; overflow-y: auto; }
.rag-sources-empty { color: var(--body-text-color-subdued); padding: 8px; }
details.rag-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px; }
details.rag-source.rag-flash { outline: 3px solid #f59e0b; }
details.rag-source summary { cursor: pointer; list-style: none; }
details.rag-source summary::-webkit-details-marker { display: none; }
.rag-marker { font-weight: 700; color: var(--color-accent); }
.rag-meta { display: block; font-size: 0.8em; color: var(--body-text-color-subdued); margin: 2px 0 4px; }
.rag-excerpt { display: block; line-height: 1.6; }
.rag-hint { display: block; font-size: 0.75em; color: var(--body-text-color-subdued); margin-top: 4px; }
details[open] .rag-hint { display: none; }
mark.num { background: #fde047; color: #000; padding: 0 2px; border-radius: 3px; }
mark.excerpt { background: #dbeafe; color: #000; }
.rag-context p { white-space: pre-wrap; margin: 4px 0 0; }
.rag-context { margin-top: 8px; padding-top: 8px; border-top: 1px dashed var(--border-color-primary); line-height: 1.6; }
.rag-context-label { font-size: 0.8em; color: var(--body-text-color-subdued); }
#rag-chat .message-content { white-space: pre-wrap; line-height: 1.6; }
a.rag-cite { font-weight: 700; text-decoration: none; color: var(--color-accent); cursor: pointer; }
.rag-fb { display: inline-flex; gap: 4px; margin-top: 6px; }
.rag-fb button { border: 1px solid var(--border-color-primary); border-radius: 6px; padding: 0 6px; background: transparent;
  cursor: pointer; opacity: 0.6; }
.rag-fb button.rag-fb-on { opacity: 1; background: #fef3c7; border-color: #f59e0b; }
.rag-tip { position: fixed; z-index: 1000; max-width: min(420px, 90vw); padding: 8px 10px; border-radius: 8px;
  background: var(--background-fill-primary); color: var(--body-text-color); border: 1px solid var(--border-color-primary);
  box-shadow: 0 4px 16px rgba(0,0,0,.18); font-size: 0.88em; line-height: 1.5; white-space: pre-wrap; pointer-events: none; }
.rag-library { max-height: 320px; overflow: auto; font-size: 0.85em; }
.rag-library table { border-collapse: collapse; width: 100%; }
.rag-library th, .rag-library td { border-bottom: 1px solid var(--border-color-primary); padding: 3px 5px; text-align: left;
  vertical-align: top; }
.rag-library .rag-file { word-break: break-all; font-size: 0.9em; }
.rag-by-mine td:last-child, .rag-by-mine_shared td:last-child { color: #047857; font-weight: 600; }
.rag-library-count { color: var(--body-text-color-subdued); margin-bottom: 4px; }
.rag-job { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 3px 0; font-size: 0.9em; }
.rag-job progress { width: 120px; }
.rag-job-failed .rag-job-state { color: #b91c1c; }
.rag-job-done .rag-job-state { color: #047857; }
.rag-cancel { border: 1px solid #b91c1c; color: #b91c1c; border-radius: 6px; padding: 0 8px; background: transparent; cursor: pointer; }
@media (max-width: 900px) {
  .rag-jump { display: inline; }
  #rag-chat { height: 60vh !important; }
  .rag-sources { max-height: none; }
}
"""

# Clicks inside markup the app writes: [n] opens source n (and previews it), 👍/👎 and cancel go to
# Python through a hidden textbox + button (#rag-action, #rag-action-go).
JS = """
() => {
  const bridge = (payload) => {
    const box = document.querySelector('#rag-action textarea, #rag-action input');
    const go = document.querySelector('#rag-action-go');
    if (!box || !go) return;
    payload.nonce = Date.now() + Math.random();
    box.value = JSON.stringify(payload);
    box.dispatchEvent(new Event('input', {bubbles: true}));
    setTimeout(() => go.click(), 60);
  };
  let tip = null;
  const hideTip = () => { if (tip) tip.style.display = 'none'; };
  const showTip = (link) => {
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    if (!tip) { tip = document.createElement('div'); tip.className = 'rag-tip'; tip.id = 'rag-tip'; document.body.appendChild(tip); }
    const title = card.querySelector('.rag-title');
    const excerpt = card.querySelector('.rag-excerpt');
    tip.textContent = (title ? title.textContent : '') + '\\n' + (excerpt ? excerpt.textContent : '');
    const box = link.getBoundingClientRect();
    tip.style.display = 'block';
    const left = Math.max(8, Math.min(box.left, window.innerWidth - tip.offsetWidth - 8));
    const below = box.bottom + 6 + tip.offsetHeight < window.innerHeight;
    tip.style.left = left + 'px';
    tip.style.top = (below ? box.bottom + 6 : Math.max(8, box.top - tip.offsetHeight - 6)) + 'px';
  };
  document.addEventListener('click', (event) => {
    const target = event.target;
    if (!target || !target.closest) return;
    const fb = target.closest('.rag-fb button');
    if (fb) {
      event.preventDefault(); event.stopPropagation();
      const bots = Array.from(document.querySelectorAll('#rag-chat [data-testid="bot"]'));
      bridge({op: 'rate', index: bots.indexOf(fb.closest('[data-testid="bot"]')),
              rating: fb.classList.contains('rag-fb-up') ? 'helpful' : 'wrong'});
      return;
    }
    const cancel = target.closest('.rag-cancel');
    if (cancel) {
      event.preventDefault();
      const id = Array.from(cancel.classList).find((c) => c.startsWith('rag-jid-'));
      bridge({op: 'cancel', job: id ? id.slice(8) : null});
      return;
    }
    const link = target.closest('a[href^="#source-"]');
    if (!link) { hideTip(); return; }
    event.preventDefault(); event.stopPropagation();
    const card = document.getElementById(link.getAttribute('href').slice(1));
    if (!card) return;
    showTip(link);
    setTimeout(hideTip, 4000);
    card.open = true;
    card.scrollIntoView({behavior: 'smooth', block: 'nearest'});
    card.classList.add('rag-flash');
    setTimeout(() => card.classList.remove('rag-flash'), 1500);
  }, true);
  // Gradio labels each message "bot's message: <its HTML>"; give screen readers the text instead.
  const english = (navigator.language || '').toLowerCase().startsWith('en');
  const messageLabels = () => {
    for (const el of document.querySelectorAll('#rag-chat [aria-label]')) {
      if (!/^(bot|user)'s message/.test(el.getAttribute('aria-label'))) continue;
      const bot = el.getAttribute('aria-label').startsWith('bot');
      const clone = el.cloneNode(true);
      clone.querySelectorAll('.rag-fb').forEach((e) => e.remove());
      const who = bot ? (english ? 'Answer: ' : '回答：') : (english ? 'Question: ' : '提问：');
      el.setAttribute('aria-label', who + clone.textContent.trim().slice(0, 400));
    }
  };
  messageLabels();
  new MutationObserver(messageLabels).observe(document.body, {childList: true, subtree: true, characterData: true,
    attributes: true, attributeFilter: ['aria-label']});
  // Gradio writes a few accessibility labels in English only; say them in Chinese on a Chinese page.
  if (!english) {
    const labels = [[/^chatbot conversation$/, '对话记录'], [/^Reset to default value$/, '恢复默认值'],
                    [/^number input for (.*)$/, '$1（数字）'], [/^range slider for (.*)$/, '$1（滑块）'],
                    [/^Click to upload or drop files$/i, '点击上传或拖放文件'], [/^Clear$/, '清除'],
                    [/^Remove$/, '移除'], [/^Upload$/, '上传'], [/^Dropdown$/, '下拉选择'], [/^Close$/, '关闭']];
    const relabel = (root) => {
      for (const el of root.querySelectorAll('[aria-label], [title]')) {
        for (const name of ['aria-label', 'title']) {
          const value = el.getAttribute(name);
          if (!value) continue;
          for (const [pattern, chinese] of labels) {
            if (pattern.test(value)) { el.setAttribute(name, value.replace(pattern, chinese)); break; }
          }
        }
      }
    };
    relabel(document);
    new MutationObserver(() => relabel(document)).observe(document.body, {childList: true, subtree: true,
      attributes: true, attributeFilter: ['aria-label', 'title']});
  }
  document.addEventListener('mouseover', (event) => {
    const link = event.target.closest && event.target.closest('a.rag-cite');
    if (link) showTip(link);
  });
  document.addEventListener('mouseout', (event) => {
    const link = event.target.closest && event.target.closest('a.rag-cite');
    if (link) hideTip();
  });
}
"""

COPY_JS = """
() => {
  const bots = document.querySelectorAll('#rag-chat [data-testid="bot"]');
  if (!bots.length) return;
  const clone = bots[bots.length - 1].cloneNode(true);
  clone.querySelectorAll('.rag-fb').forEach((e) => e.remove());
  const text = clone.innerText.trim();
  if (navigator.clipboard) navigator.clipboard.writeText(text);
}
"""
