import { h, field } from '../dom';
import { t, getLang, setLang, type Lang } from '../i18n';
import { login, ApiError, NetworkError, type Me } from '../api';

export function loginScreen(main: HTMLElement, done: (me: Me) => void): void {
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autocapitalize: 'none' });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { role: 'alert', class: 'error', id: 'login-error' });
  const form = h(
    'form',
    {
      class: 'card',
      onsubmit: async (e: Event) => {
        e.preventDefault();
        msg.textContent = '';
        try {
          const s = await login(user.value.trim(), pass.value);
          done(s.me);
        } catch (err) {
          if (err instanceof NetworkError) msg.textContent = t('login.offline');
          else if (err instanceof ApiError && err.status === 429) msg.textContent = t('login.too_many');
          else msg.textContent = t('login.failed');
        }
      },
    },
    h('h1', {}, t('login.title')),
    h('p', {}, t('login.intro')),
    field(t('login.username'), user),
    field(t('login.password'), pass),
    msg,
    h('button', { type: 'submit' }, t('login.submit')),
    field(
      t('app.language'),
      h(
        'select',
        { id: 'lang', onchange: (e: Event) => setLang((e.target as HTMLSelectElement).value as Lang) },
        h('option', { value: 'en', selected: getLang() === 'en' }, 'English'),
        h('option', { value: 'uk', selected: getLang() === 'uk', lang: 'uk' }, 'Українська'),
      ),
    ),
  );
  main.append(form);
  user.focus();
}
