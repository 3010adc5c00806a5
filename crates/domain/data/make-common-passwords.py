base = """
123456 password 12345678 qwerty 123456789 12345 1234 111111 1234567 dragon 123123 baseball
abc123 football monkey letmein 696969 shadow master 666666 qwertyuiop 123321 mustang
1234567890 michael 654321 superman 1qaz2wsx 7777777 121212 000000 qazwsx 123qwe killer
trustno1 jordan jennifer zxcvbnm asdfgh hunter buster soccer harley batman andrew tigger
sunshine iloveyou 2000 charlie robert thomas hockey ranger daniel starwars klaster 112233
george computer michelle jessica pepper 1111 zxcvbn 555555 11111111 131313 freedom 777777
pass maggie 159753 aaaaaa ginger princess joshua cheese amanda summer love ashley nicole
chelsea biteme matthew access yankees 987654321 dallas austin thunder taylor matrix
mobilemail mom monitor monitoring montana moon moscow welcome welcome1 welcome123 admin
admin123 admin1234 admin12345 administrator root root123 toor passw0rd password1 password12
password123 password1234 p@ssw0rd p@ssword pa$$word qwerty123 qwerty1 qwerty12 qwertyui
1q2w3e4r 1q2w3e4r5t 1q2w3e 1q2w3e4r5t6y zaq12wsx zaq1zaq1 1qazxsw2 qazwsxedc qweasdzxc
asdfghjkl asdf1234 asdfasdf zxcv1234 1234qwer qwer1234 abcd1234 abcdefg abcdefgh abc12345
abcabc abc123456 a1b2c3d4 a1b2c3 aa123456 a123456 a12345678 a1234567 a123456789 a12345
qq123456 qq5201314 q1w2e3r4 q1w2e3r4t5 1a2b3c4d woaini woaini1314 woaini520 woaini123
woaiwojia 5201314 520520 1314520 521521 5211314 13145200 520131400 77585210 7758521
7758258 147258369 147258 159357 159357456 123654 123654789 147852369 741852963 963852741
789456123 789456 456789 123789 321654 852456 1234560 12344321 11223344 11112222 12341234
12121212 123123123 123456789a 123456a 123456aa 123456abc 123abc 1234abcd 12qwaszx
88888888 66666666 99999999 00000000 22222222 33333333 44444444 55555555 77777777 12345678910
888888 999999 168168 518518 521125 1314521 woshishui woshiniba wodemima mima123 mima1234
zhang123 wang123 li123456 liu123456 chen123456 yang123456 zhangwei wangwei wangfang
lixiaolong zhangsan lisi wangwu zhaoliu nihao123 nihao nishishui aini1314 iloveyou1
iloveyou2 iloveu loveyou love123 lovely lover loveme love1314 asd123 asd123456 asdasd
asdasd123 zxc123 zxc123456 zxczxc qweqwe qwe123 qwe123456 qweasd qweasd123 qaz123 wsx123
111222 112233445566 121314 123000 123321123 135792468 246810 2468013579 13579 135790
qwerty1234 qwertyuiop123 1qaz2wsx3edc 1qazxsw23edc 2wsx3edc q2w3e4r5 1q2w3e4r5t6y7u
passport passwd password! password1! password2 password01 password11 password2024
password2025 password2026 Passw0rd! changeme changeme123 default guest guest123 test
test123 test1234 testtest tester testing user user123 user1234 demo demo123 demo1234
secret secret123 secure letmein1 letmein123 trustno1 whatever sunshine1 football1
baseball1 princess1 monkey1 dragon1 master1 shadow1 superman1 batman1 michael1 jordan23
starwars1 pokemon pokemon1 naruto naruto123 minecraft minecraft1 fortnite roblox
liverpool arsenal chelsea1 manchester barcelona realmadrid juventus 1qaz!qaz 1qaz@wsx
!qaz2wsx !qaz@wsx !qaz1qaz #edc4rfv 3edc4rfv 1234!@#$ !@#$%^&* !@#$%^ 1q2w3e!q@w#e
qwer!@#$ 123!@# 123456!@# 1234qwer! abc@123 abc!123 admin@123 admin!123 admin#123
root@123 p@ssw0rd1 p@ssw0rd123 p@55w0rd passw0rd1 passw0rd123 pa55word pa55w0rd
iloveyou123 iloveyou! 88888888a 123456789q zxcvbnm123 zxcvbnm1 asdfghjkl1 qazwsx123
qwertyu qwertz qwertzuiop azerty azertyuiop 1234567a 1234567q 12345qwert 12345abc
princesa tequiero teamo contraseña contrasena senha 102030 10203040 1020304050 101010
202020 303030 987654 9876543210 87654321 7654321 1111111 11111 1212 2222 3333 4444 5555
6666 7777 8888 9999 0000 1122 1313 6969 2580 1470 0123456789 01234567 012345 0123456
iloveyou1314 woaini5201314 wo123456 yy123456 ww123456 zz123456 xx123456 aa111111
aa123123 a11111 a111111 a123123 a5201314 q123456 q1234567 qq1234 qq123123 qq666666
qq888888 z123456 w123456 s123456 l123456 x123456 h123456 c123456 abc888 abc666
11qqaazz 1qa2ws3ed 1qaz2wsx! 1234asdf asdf123 asdfqwer qwerasdf zxcvasdf 4rfv5tgb
5tgb6yhn 123qweasd 123qweasdzxc qweasdzxc123 1qaz2wsx3edc4rfv abcd123 abcde12345
aaaaaaaa aaaaaaa aaaaa aaaa abcdef abcdefg1 abcdefghi abcdefghij 11111111a 1q1q1q1q
q1q1q1q1 a1a1a1a1 1a1a1a1a 12qw12qw qwqwqwqw asasasas zxzxzxzx
sunflower flower rainbow butterfly sweetheart angel angel1 blessed jesus jesus1
hello hello123 hello1234 helloworld hello1 hi123456 goodluck lucky lucky7 lucky888
happy happy123 happy2024 happyday smile friends family family1 mother father
computer1 internet samsung apple apple123 huawei huawei123 xiaomi xiaomi123 oppo123
baidu baidu123 taobao taobao123 alibaba tencent weixin weixin123 wechat wechat123
qqqqqq qqqqqqqq wwwwww 1q1q1q zzzzzz zzzzzzzz xxxxxx xxxxxxxx 123456789z
china china123 beijing beijing123 shanghai shanghai123 shenzhen guangzhou dalian
shenyang liaoning zhongguo zhongguo123 aftersales service service123 support
support123 company company123 office office123 system system123 manager manager123
super superuser supervisor operator sysadmin webadmin webmaster master123 server
server123 oracle mysql postgres postgresql database backup letmein!
"""
# Common words plus the usual suffixes (years, digit runs, Chinese lucky numbers).
words = """password qwerty admin welcome iloveyou woaini abc monkey dragon master shadow
sunshine princess football baseball superman batman michael jordan charlie love test
user demo guest root system manager service china beijing shanghai huawei xiaomi apple
hello happy lucky baby angel summer winter spring flower""".split()
suffixes = ["", "1", "12", "123", "1234", "12345", "123456", "!", "1!", "01", "007",
            "2020", "2021", "2022", "2023", "2024", "2025", "2026", "520", "1314",
            "5201314", "888", "666", "999", "@123", "#123", "_123", ".123"]
out = set()
for w in base.split():
    out.add(w.lower())
for w in words:
    for s in suffixes:
        out.add((w + s).lower())
        out.add((w.capitalize() + s).lower())
# Digit runs and repeated pairs people type.
for n in range(6, 13):
    out.add("".join(str(i % 10) for i in range(1, n + 1)))
    out.add("".join(str((10 - i) % 10) for i in range(1, n + 1)))
for a in "0123456789":
    for b in "0123456789":
        out.add((a + b) * 4)
for y in range(1960, 2027):
    out.add(f"{y}{y}")
    out.add(f"a{y}")
    out.add(f"love{y}")
assert "demo-2026" not in out and "admin-pass-2026" not in out
lines = sorted(out)
hdr = """# The most common passwords, one a line, lowercase (compared case-insensitively).
# Written from the public top lists (SplashData, NordPass, the RockYou and CSDN leaks'
# most frequent entries) and their usual variants: a word followed by a year, a digit run or
# a Chinese lucky number (520, 1314, 5201314, 888). Lines starting with '#' are comments.
# Regenerate with crates/domain/data/make-common-passwords.py; entries shorter than the
# minimum length are kept for completeness (the length rule refuses them first).
"""
print(hdr + "\n".join(lines))
import sys; print(len(lines), file=sys.stderr)
