"""Forms of the import and export pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.exchange.exporters import EXPORTS
from shequ.exchange.importers import IMPORTERS

#: bigger files go through the command line (``shequ import``): a web request
#: should not hold a worker for minutes
MAX_UPLOAD_BYTES = 100 * 1024 * 1024


class ImportForm(forms.Form):
    kind = forms.ChoiceField(label=_("数据类别"), choices=[(key, importer.label) for key, importer in IMPORTERS.items()])
    file = forms.FileField(label=_("文件"), help_text=_(".xlsx 或 .csv（UTF-8 或 GBK 编码）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
    dry_run = forms.BooleanField(label=_("试导入：只检查并预览，不写入"), required=False, initial=True)

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过100MB，请使用命令行导入（shequ import）。"))
        if uploaded.size == 0:
            raise forms.ValidationError(_("文件是空的。"))
        return uploaded


class ConfirmForm(forms.Form):
    token = forms.CharField(widget=forms.HiddenInput)


class ExportForm(forms.Form):
    kind = forms.ChoiceField(label=_("数据类别"), choices=[(key, export.label) for key, export in EXPORTS.items()])
    clear = forms.BooleanField(label=_("导出明文证件号码和手机号码（需要查看权限，将记录审计）"), required=False)
