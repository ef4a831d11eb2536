"""Surface forms of paralinguistic labels in en/id/ms/vi/th/zh/ta, written for this project.

Layout: kind -> concept -> language -> forms. A task's label ("female", "F", "Happy", "ms",
"Bahasa Melayu") is mapped to a concept when it equals the concept name or one of its forms.
`STOP_FORMS` are phrases that contain a form but mean something else (Thai "ความเร็ว", speed,
contains "เร็ว", fast); they are matched and then ignored. Traditional Chinese is converted to
simplified before matching, so only simplified forms are listed.
"""

from __future__ import annotations

Forms = dict[str, list[str]]

SYNONYMS: dict[str, dict[str, Forms]] = {
    "gender": {
        "male": {
            "en": ["male", "males", "man", "men", "masculine", "boy", "male voice", "male speaker"],
            "id": ["laki-laki", "laki laki", "lelaki", "pria", "cowok"],
            "ms": ["lelaki", "laki-laki", "jantan"],
            "vi": ["nam", "nam giới", "đàn ông", "con trai", "giọng nam"],
            "th": ["ชาย", "ผู้ชาย", "เพศชาย"],
            "zh": ["男", "男性", "男人", "男生", "男声", "男士"],
            "ta": ["ஆண்"],
        },
        "female": {
            "en": ["female", "females", "woman", "women", "feminine", "girl", "lady", "female voice",
                   "female speaker"],
            "id": ["perempuan", "wanita", "cewek"],
            "ms": ["perempuan", "wanita", "betina"],
            "vi": ["nữ", "nữ giới", "phụ nữ", "đàn bà", "con gái", "giọng nữ"],
            "th": ["หญิง", "ผู้หญิง", "เพศหญิง"],
            "zh": ["女", "女性", "女人", "女生", "女声", "女士"],
            "ta": ["பெண்"],
        },
    },
    "emotion": {
        "neutral": {
            "en": ["neutral", "emotionless", "no emotion", "no particular emotion"],
            "id": ["netral", "datar", "biasa saja"],
            "ms": ["neutral", "berkecuali", "biasa sahaja"],
            "vi": ["trung tính", "trung lập", "không cảm xúc"],
            "th": ["เป็นกลาง", "เฉยๆ", "เฉย ๆ"],
            "zh": ["中性", "中立", "没有情绪", "无情绪", "平淡"],
            "ta": ["நடுநிலை"],
        },
        "happy": {
            "en": ["happy", "happiness", "joy", "joyful", "cheerful", "glad", "delighted"],
            "id": ["senang", "bahagia", "gembira", "riang"],
            "ms": ["gembira", "bahagia", "seronok", "riang"],
            "vi": ["vui", "vui vẻ", "vui mừng", "hạnh phúc"],
            "th": ["มีความสุข", "ดีใจ", "ร่าเริง", "สุข"],
            "zh": ["开心", "高兴", "快乐", "喜悦", "愉快"],
            "ta": ["மகிழ்ச்சி"],
        },
        "sad": {
            "en": ["sad", "sadness", "unhappy", "sorrowful", "sorrow", "gloomy"],
            "id": ["sedih", "murung"],
            "ms": ["sedih", "duka", "pilu"],
            "vi": ["buồn", "buồn bã", "đau buồn"],
            "th": ["เศร้า", "เสียใจ"],
            "zh": ["悲伤", "伤心", "难过", "悲哀"],
            "ta": ["சோகம்", "வருத்தம்"],
        },
        "angry": {
            "en": ["angry", "anger", "furious", "annoyed", "irritated"],
            "id": ["marah", "kesal", "jengkel"],
            "ms": ["marah", "geram", "berang"],
            "vi": ["tức giận", "giận dữ", "giận", "bực bội", "bực"],
            "th": ["โกรธ", "โมโห", "หงุดหงิด"],
            "zh": ["生气", "愤怒", "恼火"],
            "ta": ["கோபம்"],
        },
        "surprised": {
            "en": ["surprised", "surprise", "astonished", "amazed"],
            "id": ["terkejut", "kaget", "heran"],
            "ms": ["terkejut", "hairan"],
            "vi": ["ngạc nhiên", "bất ngờ"],
            "th": ["ประหลาดใจ", "แปลกใจ"],
            "zh": ["惊讶", "吃惊", "惊奇"],
            "ta": ["ஆச்சரியம்"],
        },
        "fearful": {
            "en": ["fearful", "fear", "afraid", "scared", "frightened"],
            "id": ["takut", "ketakutan"],
            "ms": ["takut", "ketakutan"],
            "vi": ["sợ", "sợ hãi", "lo sợ"],
            "th": ["กลัว", "หวาดกลัว"],
            "zh": ["害怕", "恐惧", "惊恐"],
            "ta": ["பயம்"],
        },
        "disgusted": {
            "en": ["disgusted", "disgust", "disgusting"],
            "id": ["jijik"],
            "ms": ["jijik", "meluat"],
            "vi": ["ghê tởm", "kinh tởm"],
            "th": ["รังเกียจ", "ขยะแขยง"],
            "zh": ["厌恶", "恶心"],
            "ta": ["அருவருப்பு"],
        },
        "calm": {
            "en": ["calm", "peaceful", "relaxed"],
            "id": ["tenang"],
            "ms": ["tenang"],
            "vi": ["bình tĩnh", "điềm tĩnh"],
            "th": ["สงบ", "ใจเย็น"],
            "zh": ["平静", "冷静"],
            "ta": ["அமைதி"],
        },
        "excited": {"en": ["excited", "excitement"], "id": ["bersemangat"], "ms": ["teruja"],
                    "vi": ["phấn khích"], "th": ["ตื่นเต้น"], "zh": ["兴奋", "激动"]},
        "frustrated": {"en": ["frustrated", "frustration"], "id": ["frustrasi"], "ms": ["kecewa"],
                       "vi": ["thất vọng"], "th": ["หงุดหงิดใจ"], "zh": ["沮丧"]},
    },
    "age": {
        "child": {
            "en": ["child", "children", "kid", "kids", "young child"],
            "id": ["anak-anak", "anak kecil", "bocah"],
            "ms": ["kanak-kanak", "budak"],
            "vi": ["trẻ em", "trẻ con", "đứa trẻ"],
            "th": ["เด็ก"],
            "zh": ["儿童", "小孩", "孩子", "孩童"],
        },
        "teen": {
            "en": ["teen", "teens", "teenager", "teenage", "adolescent"],
            "id": ["remaja"],
            "ms": ["remaja"],
            "vi": ["thiếu niên", "tuổi teen"],
            "th": ["วัยรุ่น"],
            "zh": ["青少年", "少年"],
        },
        "adult": {
            "en": ["adult", "adults", "grown-up"],
            "id": ["dewasa", "orang dewasa"],
            "ms": ["dewasa", "orang dewasa"],
            "vi": ["người lớn", "trưởng thành"],
            "th": ["ผู้ใหญ่", "วัยผู้ใหญ่"],
            "zh": ["成年人", "成人", "成年"],
        },
        "senior": {
            "en": ["senior", "elderly", "older adult", "old person", "old man", "old woman"],
            "id": ["lansia", "lanjut usia", "tua", "orang tua"],
            "ms": ["warga emas", "tua", "orang tua"],
            "vi": ["người già", "cao tuổi", "lớn tuổi", "người cao tuổi"],
            "th": ["ผู้สูงอายุ", "คนแก่", "ผู้สูงวัย"],
            "zh": ["老年人", "老人", "老年", "年长"],
        },
        "young adult": {"en": ["young adult"], "id": ["dewasa muda"], "ms": ["dewasa muda"],
                        "vi": ["thanh niên"], "th": ["วัยหนุ่มสาว"], "zh": ["青年"]},
        "middle-aged": {"en": ["middle-aged", "middle aged", "middle age"], "id": ["paruh baya", "setengah baya"],
                        "ms": ["separuh umur"], "vi": ["trung niên"], "th": ["วัยกลางคน"], "zh": ["中年"]},
    },
    "speaking_rate": {
        "slow": {
            "en": ["slow", "slowly", "slower"],
            "id": ["lambat", "pelan"],
            "ms": ["perlahan", "lambat"],
            "vi": ["chậm", "chậm rãi"],
            "th": ["ช้า"],
            "zh": ["慢", "缓慢"],
        },
        "normal": {
            "en": ["normal", "moderate", "medium", "average", "neither fast nor slow"],
            "id": ["normal", "sedang", "wajar"],
            "ms": ["normal", "sederhana", "biasa"],
            "vi": ["bình thường", "vừa phải", "trung bình"],
            "th": ["ปกติ", "ปานกลาง", "ไม่เร็วไม่ช้า"],
            "zh": ["正常", "适中", "中等", "不快不慢"],
        },
        "fast": {
            "en": ["fast", "quick", "quickly", "rapid", "rapidly", "faster"],
            "id": ["cepat"],
            "ms": ["cepat", "laju"],
            "vi": ["nhanh"],
            "th": ["เร็ว"],
            "zh": ["快", "快速", "迅速"],
        },
    },
    "language": {
        "en": {"en": ["english"], "id": ["bahasa inggris"], "ms": ["bahasa inggeris"], "vi": ["tiếng anh"],
               "th": ["ภาษาอังกฤษ", "อังกฤษ"], "zh": ["英语", "英文"], "ta": ["ஆங்கிலம்"]},
        "id": {"en": ["indonesian", "bahasa indonesia"], "id": ["bahasa indonesia", "indonesia"],
               "ms": ["bahasa indonesia"], "vi": ["tiếng indonesia", "tiếng in-đô-nê-xi-a"],
               "th": ["ภาษาอินโดนีเซีย", "อินโดนีเซีย"], "zh": ["印尼语", "印度尼西亚语", "印尼文"],
               "ta": ["இந்தோனேசிய"]},
        "ms": {"en": ["malay", "bahasa melayu", "bahasa malaysia", "malaysian"], "id": ["bahasa melayu", "melayu"],
               "ms": ["bahasa melayu", "melayu", "bahasa malaysia"], "vi": ["tiếng mã lai", "tiếng malaysia"],
               "th": ["ภาษามลายู", "มลายู", "ภาษามาเลย์"], "zh": ["马来语", "马来文"], "ta": ["மலாய்"]},
        "vi": {"en": ["vietnamese"], "id": ["bahasa vietnam"], "ms": ["bahasa vietnam"], "vi": ["tiếng việt"],
               "th": ["ภาษาเวียดนาม", "เวียดนาม"], "zh": ["越南语", "越南文"], "ta": ["வியட்நாமிய"]},
        "th": {"en": ["thai"], "id": ["bahasa thailand", "bahasa thai"], "ms": ["bahasa thai", "bahasa siam"],
               "vi": ["tiếng thái"], "th": ["ภาษาไทย", "ไทย"], "zh": ["泰语", "泰文"], "ta": ["தாய்"]},
        "zh": {"en": ["chinese", "mandarin"], "id": ["bahasa mandarin", "bahasa tionghoa", "bahasa cina"],
               "ms": ["bahasa cina", "bahasa mandarin"], "vi": ["tiếng trung", "tiếng hoa", "tiếng quan thoại"],
               "th": ["ภาษาจีน", "จีนกลาง"], "zh": ["中文", "汉语", "普通话", "华语", "国语"], "ta": ["சீன"]},
        "yue": {"en": ["cantonese"], "id": ["bahasa kanton"], "ms": ["bahasa kantonis"], "vi": ["tiếng quảng đông"],
                "th": ["ภาษากวางตุ้ง"], "zh": ["粤语", "广东话"]},
        "ta": {"en": ["tamil"], "id": ["bahasa tamil"], "ms": ["bahasa tamil"], "vi": ["tiếng tamil"],
               "th": ["ภาษาทมิฬ", "ทมิฬ"], "zh": ["泰米尔语"], "ta": ["தமிழ்"]},
    },
    "accent": {
        "singapore": {"en": ["singapore", "singaporean", "singlish"], "zh": ["新加坡"]},
        "malaysia": {"en": ["malaysia", "malaysian"], "zh": ["马来西亚"]},
        "malay": {"en": ["malay", "melayu"], "zh": ["马来"]},
        "indonesia": {"en": ["indonesia", "indonesian"], "zh": ["印尼"]},
        "thailand": {"en": ["thailand", "thai"], "zh": ["泰国"]},
        "vietnam": {"en": ["vietnam", "vietnamese"], "zh": ["越南"]},
        "philippines": {"en": ["philippines", "philippine", "filipino"], "zh": ["菲律宾"]},
        "india": {"en": ["india", "indian"], "zh": ["印度"]},
        "china": {"en": ["china", "chinese", "mainland"], "zh": ["中国"]},
        "us": {"en": ["american", "usa", "united states"], "zh": ["美国"]},
        "uk": {"en": ["british", "uk", "england"], "zh": ["英国"]},
        "australia": {"en": ["australia", "australian"], "zh": ["澳大利亚", "澳洲"]},
    },
}

STOP_FORMS: dict[str, list[str]] = {
    "speaking_rate": ["ความเร็ว", "อัตราเร็ว", "快乐", "愉快", "speed", "kecepatan", "kelajuan"],
    "age": ["未成年"],
    "gender": ["男女", "việt nam", "miền nam", "nam bộ", "nam phi"],
}

# Labels may be given as codes/abbreviations; these map onto concepts above.
ALIASES: dict[str, dict[str, str]] = {
    "language": {"eng": "en", "ind": "id", "msa": "ms", "zsm": "ms", "may": "ms", "vie": "vi", "tha": "th",
                 "zho": "zh", "cmn": "zh", "chi": "zh", "tam": "ta"},
    "age": {"teenager": "teen", "elderly": "senior", "old": "senior", "kid": "child"},
    "gender": {"m": "male", "f": "female"},
    "emotion": {"neu": "neutral", "hap": "happy", "sad": "sad", "ang": "angry", "sur": "surprised",
                "fea": "fearful", "dis": "disgusted", "exc": "excited", "fru": "frustrated"},
}

# Kinds tried, in order, when the caller does not say which kind its labels are.
KIND_ORDER = ("gender", "emotion", "age", "speaking_rate", "language", "accent")
