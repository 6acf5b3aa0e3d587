import { describe, expect, it } from 'vitest';
import {
  fold,
  parseBirthYear,
  parseConditions,
  parseDoses,
  parseGender,
  parseName,
  parseNationalId,
  parseNationality,
  parsePhone,
  parseSymptoms,
  parseYesNo,
} from '../../src/features/health-form/validators.js';
import { districtSearchName, wardSearchName } from '../../src/features/wards/store.js';
import { decryptNationalId, encryptNationalId } from '../../src/features/people/national-id.js';
import { randomBytes } from 'node:crypto';
import { displayPhone } from '../../src/core/answer-parsing.js';

describe('yes / no', () => {
  it.each([
    ['Có', true],
    ['có', true],
    ['co', true],
    ['CO', true],
    ['c', true],
    ['yes', true],
    ['Y', true],
    ['có.', true],
    ['Không', false],
    ['không', false],
    ['khong', false],
    ['KHONG', false],
    ['ko', false],
    ['k', false],
    ['no', false],
    ['n', false],
    ['Không có', false],
    ['chưa', false],
  ])('%s → %s', (text, value) => {
    expect(parseYesNo(text)).toEqual({ ok: true, value });
  });
  it.each(['có lẽ', 'maybe', '', '1', 'hông biết'])('refuses %s', (text) => {
    expect(parseYesNo(text)).toEqual({ ok: false, reason: 'err_yes_no' });
  });
});

describe('phone numbers', () => {
  it.each([
    ['0912 345 678', '+84912345678'],
    ['0912345678', '+84912345678'],
    ['+84912345678', '+84912345678'],
    ['84912345678', '+84912345678'],
    ['+84 912 345 678', '+84912345678'],
    ['0912.345.678', '+84912345678'],
    ['0084912345678', '+84912345678'],
    ['0292 3831 981', '+842923831981'],
  ])('%s → %s', (text, value) => {
    expect(parsePhone(text)).toEqual({ ok: true, value });
  });
  it.each(['12345', '091234567', 'abc', '+1 415 555 0100', '0012345678', '091234567890', ''])('refuses %s', (text) => {
    expect(parsePhone(text).ok).toBe(false);
  });
});

describe('birth year', () => {
  const now = new Date('2021-08-01T00:00:00Z');
  it.each([
    ['1985', 1985],
    [' 1900 ', 1900],
    ['2021', 2021],
    ['15/04/1960', 1960],
    ['1-1-2000', 2000],
  ])('%s → %s', (text, value) => {
    expect(parseBirthYear(text, now)).toEqual({ ok: true, value });
  });
  it.each([
    ['1899', 'err_birth_year_range'],
    ['2022', 'err_birth_year_range'],
    ['85', 'err_birth_year'],
    ['năm 85', 'err_birth_year'],
  ])('refuses %s (%s)', (text, reason) => {
    expect(parseBirthYear(text, now)).toEqual({ ok: false, reason });
  });
});

describe('national ID', () => {
  it.each([
    ['092085001234', 'cccd', '092085001234'],
    ['0920 8500 1234', 'cccd', '092085001234'],
    ['361234567', 'cmnd', '361234567'],
    ['C1234567', 'passport', 'C1234567'],
    ['b7654321', 'passport', 'B7654321'],
  ])('%s → %s', (text, kind, number) => {
    expect(parseNationalId(text)).toEqual({ ok: true, value: { kind, number } });
  });
  it.each(['12345', '1234567890', 'ABCDEFG', '0920850012345', 'C-12'])('refuses %s', (text) => {
    expect(parseNationalId(text).ok).toBe(false);
  });
  it('is encrypted with AES-256-GCM and decrypts back; the ciphertext never contains the number', () => {
    const key = randomBytes(32);
    const { enc, last4 } = encryptNationalId({ dataKey: key, idLookupKey: randomBytes(32) }, '092085001234');
    expect(last4).toBe('1234');
    expect(Buffer.from(enc, 'base64').toString('latin1')).not.toContain('092085001234');
    expect(decryptNationalId(key, enc)).toBe('092085001234');
    expect(() => decryptNationalId(randomBytes(32), enc)).toThrow();
  });
});

describe('names', () => {
  it.each([
    ['Nguyễn Văn An', 'Nguyễn Văn An'],
    ['  trần   thị   bình ', 'Trần Thị Bình'],
    ['Đặng Thị Ánh Tuyết', 'Đặng Thị Ánh Tuyết'],
    ['Lê', 'Lê'],
    ["O'Brien Mary-Jane", "O'Brien Mary-Jane"],
    ['nguyễn văn an', 'Nguyễn Văn An'],
    ['NGUYỄN VĂN AN', 'Nguyễn Văn An'],
    ['đặng đình đức', 'Đặng Đình Đức'],
    ['lê thị-mai', 'Lê Thị-Mai'],
    ['McKay anh', 'McKay Anh'],
  ])('%s → %s', (text, value) => {
    expect(parseName(text)).toEqual({ ok: true, value });
  });
  it.each([
    ['Nguyen Van 2', 'err_name_digits'],
    ['0912345678', 'err_name_digits'],
    ['A', 'err_name_length'],
    ['a'.repeat(81), 'err_name_length'],
    ['An @ home', 'err_name_chars'],
  ])('refuses %s (%s)', (text, reason) => {
    expect(parseName(text)).toEqual({ ok: false, reason });
  });
});

describe('gender, doses, symptoms', () => {
  it.each([
    ['Nam', 'male'],
    ['nữ', 'female'],
    ['NU', 'female'],
    ['khác', 'other'],
    ['khac', 'other'],
    ['Female', 'female'],
  ])('gender %s → %s', (text, value) => expect(parseGender(text)).toEqual({ ok: true, value }));
  it.each([
    ['2', 2],
    ['hai', 2],
    ['2 mũi', 2],
    ['ba mui', 3],
    ['0', 0],
    ['chưa tiêm', 0],
    ['một', 1],
  ])('doses %s → %s', (text, value) => expect(parseDoses(text)).toEqual({ ok: true, value }));
  it.each(['6', 'nhiều', '-1'])('refuses doses %s', (text) => expect(parseDoses(text).ok).toBe(false));
  it.each([
    ['sốt, ho', ['fever', 'cough']],
    ['Sot va kho tho', ['fever', 'breath']],
    ['đau họng; mệt mỏi', ['sore_throat', 'fatigue']],
    ['mất vị giác', ['taste_smell']],
    ['không', []],
    ['ko', []],
  ])('symptoms %s → %j', (text, value) => expect(parseSymptoms(text)).toEqual({ ok: true, value }));
  it.each(['đau bụng', 'có', 'sốt, nhức đầu'])('refuses symptoms %s', (text) =>
    expect(parseSymptoms(text).ok).toBe(false),
  );
  it.each([
    ['viêm phổi, tiêu chảy', ['pneumonia', 'diarrhea']],
    ['buồn nôn và nổi ban', ['nausea', 'rash']],
    ['xuất huyết ngoài da, khác', ['skin_bleeding', 'other']],
  ])('national symptoms %s → %j', (text, value) => expect(parseSymptoms(text)).toEqual({ ok: true, value }));
  it.each([
    ['tiểu đường, cao huyết áp', ['blood_pressure', 'diabetes']],
    ['đang mang thai', ['pregnant']],
    ['ung thư; suy giảm miễn dịch', ['cancer', 'immunodeficiency']],
    ['không', []],
  ])('chronic conditions %s → %j', (text, value) => expect(parseConditions(text)).toEqual({ ok: true, value }));
  it.each(['có', 'đau lưng'])('refuses conditions %s', (text) => expect(parseConditions(text).ok).toBe(false));
  it.each([
    ['VN', 'Việt Nam'],
    ['viet nam', 'Việt Nam'],
    ['Hàn Quốc', 'Hàn Quốc'],
  ])('nationality %s → %s', (text, value) => expect(parseNationality(text)).toEqual({ ok: true, value }));
  it.each(['x', '123'])('refuses nationality %s', (text) => expect(parseNationality(text).ok).toBe(false));
});

describe('folding and wards', () => {
  it('folds diacritics, đ and case', () => {
    expect(fold('  Đặng  Thị ÁNH ')).toBe('dang thi anh');
  });
  it('ward search names drop the ward prefix', () => {
    expect(wardSearchName('Phường Cái Khế')).toBe('cai khe');
    expect(wardSearchName('Xã Mỹ Khánh')).toBe('my khanh');
  });
  it('district search names drop the district prefix', () => {
    expect(districtSearchName('Quận Ninh Kiều')).toBe('ninh kieu');
    expect(districtSearchName('Huyện Cờ Đỏ')).toBe('co do');
    expect(districtSearchName('Thành phố Vị Thanh')).toBe('vi thanh');
    expect(districtSearchName('Thị xã Long Mỹ')).toBe('long my');
  });
});

describe('phones as shown', () => {
  it.each([
    ['+84912345678', '0912 345 678'],
    ['+842923820111', '0292 3820 111'],
    ['+15551234567', '+15551234567'],
  ])('%s → %s', (stored, shown) => expect(displayPhone(stored)).toBe(shown));
});
