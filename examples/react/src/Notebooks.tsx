import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { notebooksCreate, notebooksDelete, notebooksList, type Notebook } from './client';
import type { Client } from './client/client';
import type { Auth } from './client/core/auth.gen';
import { fieldErrors, type FieldErrors } from './api';
import { Field, FormError } from './Field';

// How the calls authenticate: the bearer token (react-auth-kit's page), or
// a client whose fetch sends the cookie (the cookie page).
export type Credentials = { auth?: (auth: Auth) => string | undefined; client?: Client };

// Notebooks lists the user's notebooks and makes new ones. A 401 means the
// session is over: onSignedOut.
export function Notebooks({ creds, onSignedOut }: { creds: Credentials; onSignedOut: () => void }) {
  const [list, setList] = useState<Notebook[] | null>(null);
  const [title, setTitle] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});

  const load = useCallback(async () => {
    const r = await notebooksList({ ...creds });
    if (r.response?.status === 401) return onSignedOut();
    if (r.data) setList(r.data);
    else setErrors(fieldErrors(r.error, r.response?.status ?? 0));
  }, [creds, onSignedOut]);
  useEffect(() => {
    void load();
  }, [load]);

  const create = async (e: FormEvent) => {
    e.preventDefault();
    const r = await notebooksCreate({ ...creds, body: { title } });
    if (r.response?.status === 401) return onSignedOut();
    if (!r.data) return setErrors(fieldErrors(r.error, r.response?.status ?? 0));
    setErrors({});
    setTitle('');
    await load();
  };
  const remove = async (id: string) => {
    const r = await notebooksDelete({ ...creds, path: { id } });
    if (r.response?.status === 401) return onSignedOut();
    await load();
  };

  return (
    <section>
      <h2>Notebooks</h2>
      <form onSubmit={create} id="new-notebook">
        <Field name="title" label="Title" errors={errors} value={title} onChange={setTitle} />
        <FormError errors={errors} />
        <button type="submit">Create</button>
      </form>
      {list === null ? (
        <p>Loading…</p>
      ) : (
        <ul id="notebooks">
          {list.map((n) => (
            <li key={n.id}>
              <span className="title">{n.title}</span>{' '}
              <button type="button" onClick={() => void remove(n.id)} aria-label={`Delete ${n.title}`}>
                Delete
              </button>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
