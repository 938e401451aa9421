"""The upload form of the hotline import page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from shequ.exchange.forms import MAX_UPLOAD_BYTES


class HotlineUploadForm(forms.Form):
    file = forms.FileField(label=_("热线导出文件"), help_text=_(".xlsx 或 .csv（UTF-8 或 GBK 编码）"),
                           widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}))
    dry_run = forms.BooleanField(label=_("试导入：只检查并预览，不写入"), required=False, initial=True)

    def clean_file(self):
        uploaded = self.cleaned_data["file"]
        if uploaded.size == 0:
            raise forms.ValidationError(_("文件是空的。"))
        if uploaded.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("文件超过100MB，请用命令行导入（hotline_import 命令）。"))
        return uploaded
