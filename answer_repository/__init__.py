"""The answer repository: motifs, governed reply templates, legal-text pages, suggestions.

Imports nothing of Mailnet's other packages. What they call:
- `answer_repository.rendering.template_render(*, template, context)` -> RenderedTemplate
  (text, html, gaps, legal_pages, expired_legal_pages); context contract in that module.
- `answer_repository.placeholders.gaps_find(text_or_html)`: refuse to send while not empty.
- `answer_repository.suggest.templates_suggest(*, subject, body, audience=None, limit=3)`.
- `answer_repository.selectors.templates_published(*, audience, motif, modality)`.
- `answer_repository.services.template_usage_record(*, template, used_at=None)`.
- The snippet chooser `AdminSnippetChooser(AnswerTemplate)` (published templates only;
  its URL takes ?motif=<id>&audience=jobseeker|employer&modality=<code>).
- `answer_repository.demo.load_demo_content(*, stdout=None)` for the demo data.
"""
