/** One research question that matches the corpus, so every query retrieves passages and calls the model. */
export const benchQuery = 'How does retrieval-augmented generation reduce hallucination?';

export const queryBody = JSON.stringify({ query: benchQuery, user_id: 'bench-user', session_id: 'bench-session', top_k: 5 });
