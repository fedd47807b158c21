"""The two-step workflow of reply templates and what each role may do with them.

Editors ("Éditeur de contenu") write and submit; moderators ("Modérateur") approve,
which publishes. Editors never hold the publish permission. Counsellors get nothing
here: they reach published templates through the chooser only, never the listing.
"""

from django.db import migrations

WORKFLOW_NAME = "Validation des modèles de réponse"
TASK_NAME = "Approbation par un modérateur"
EDITOR = "Éditeur de contenu"
MODERATOR = "Modérateur"

SNIPPET_ACTIONS = {
    "answertemplate": {
        EDITOR: ["add", "change", "view", "lock", "unlock"],
        MODERATOR: ["add", "change", "delete", "view", "publish", "lock", "unlock"],
    },
    "motif": {
        EDITOR: ["add", "change", "view"],
        MODERATOR: ["add", "change", "delete", "view"],
    },
    "templateusage": {EDITOR: ["view"], MODERATOR: ["view"]},
}
EXTRA_NAMES = {"publish": "Can publish", "lock": "Can lock", "unlock": "Can unlock"}


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")

    editors, _ = Group.objects.get_or_create(name=EDITOR)
    moderators, _ = Group.objects.get_or_create(name=MODERATOR)
    groups = {EDITOR: editors, MODERATOR: moderators}

    for model_name, grants in SNIPPET_ACTIONS.items():
        ct, _ = ContentType.objects.get_or_create(app_label="answer_repository", model=model_name)
        for role, actions in grants.items():
            for action in actions:
                perm, _ = Permission.objects.get_or_create(
                    content_type=ct,
                    codename=f"{action}_{model_name}",
                    defaults={"name": f"{EXTRA_NAMES.get(action, 'Can ' + action)} {model_name}"},
                )
                groups[role].permissions.add(perm)

    task_ct, _ = ContentType.objects.get_or_create(
        app_label="wagtailcore", model="groupapprovaltask"
    )
    workflow, _ = Workflow.objects.get_or_create(name=WORKFLOW_NAME, defaults={"active": True})
    task = GroupApprovalTask.objects.filter(name=TASK_NAME).first()
    if task is None:
        task = GroupApprovalTask.objects.create(name=TASK_NAME, active=True, content_type=task_ct)
    task.groups.add(moderators)
    WorkflowTask.objects.get_or_create(workflow=workflow, task=task, defaults={"sort_order": 0})
    template_ct = ContentType.objects.get(app_label="answer_repository", model="answertemplate")
    WorkflowContentType.objects.update_or_create(
        content_type=template_ct, defaults={"workflow": workflow}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("answer_repository", "0001_initial"),
        ("caseloads", "0003_roles"),
        ("wagtailcore", "0098_apitoken"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
